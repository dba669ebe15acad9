package io.modelmux.testing;

import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Type {@code echo}, like {@link EchoModelFactory}, keeping every adapter it creates so that a
 * test can check afterwards what each one served. Register it explicitly; it wins over the
 * discovered echo factory.
 */
public final class RecordingEchoFactory implements ModelFactory {
  private final EchoModelFactory echo = new EchoModelFactory();
  /** Every adapter created, in order. */
  public final ConcurrentLinkedQueue<EchoAdapter> adapters = new ConcurrentLinkedQueue<>();

  @Override
  public String type() {
    return "echo";
  }

  @Override
  public Set<String> optionKeys() {
    return echo.optionKeys();
  }

  @Override
  public ModelAdapter create(ModelSpec spec) {
    EchoAdapter a = (EchoAdapter) echo.create(spec);
    adapters.add(a);
    return a;
  }
}
