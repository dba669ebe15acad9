package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.testing.Await;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A runner that never connects: it exits first, or the start's time runs out; none is left. */
class RunnerStartTest {

  private static Set<Long> children() {
    return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  @Test
  void should_say_why_a_runner_exited_before_it_connected() {
    Set<Long> before = children();

    assertThatThrownBy(() -> RunnerProcess.start("gguf", List.of("-XX:+NoSuchOptionForModelMux"), Duration.ofSeconds(30)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("exited with code 1 before it connected")
        .hasMessageContaining("NoSuchOptionForModelMux"); // the JVM's own words, from the runner's output

    Await.until(() -> before.containsAll(children()), "no runner is left");
  }

  @Test
  void should_give_up_on_a_runner_that_does_not_connect_in_time_and_end_it() {
    Set<Long> before = children();

    assertThatThrownBy(() -> RunnerProcess.start("gguf", List.of(), Duration.ofMillis(1)))
        .isInstanceOf(IOException.class)
        .hasMessage("the llama.cpp runner did not connect within PT0.001S");

    Await.until(() -> before.containsAll(children()), "the runner was ended");
  }
}
