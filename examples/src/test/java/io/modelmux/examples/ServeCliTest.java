package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** {@code modelmux serve}'s usage errors: exit 2 and one line that says what to fix. */
class ServeCliTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int serve(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "serve";
    System.arraycopy(args, 0, all, 1, args.length);
    return ModelMuxCli.execute(all, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void should_exit_2_when_the_key_variable_is_not_set() {
    int code = serve("--config", "models.yaml", "--port", "0", "--api-key-env", "MODELMUX_SURELY_UNSET_VARIABLE");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).startsWith("error: ConfigException: --api-key-env MODELMUX_SURELY_UNSET_VARIABLE:");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void should_exit_2_when_the_port_is_taken() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int code = serve("--config", "models.yaml", "--port", Integer.toString(taken.getLocalPort()));

      assertThat(code).isEqualTo(2);
      assertThat(err.toString()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
      assertThat(out.toString()).isEmpty();
    }
  }

  @Test
  void should_exit_2_on_a_missing_config_or_a_bad_size() {
    assertThat(serve("--config", "nope.yaml")).isEqualTo(2);
    assertThat(err.toString()).contains("nope.yaml does not exist");
    assertThat(serve("--config", "models.yaml", "--max-body", "huge")).isEqualTo(2);
  }
}
