package io.modelmux.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ConfigException;
import io.modelmux.ConfigLocation;
import io.modelmux.UnknownModelTypeException;
import io.modelmux.testing.EchoModelFactory;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFactoriesTest {
  @TempDir Path dir;

  /** Returns a loader that sees the test classes plus a services file listing {@code lines}. */
  private ClassLoader loaderListing(String... lines) throws IOException {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.write(services.resolve(ModelFactory.class.getName()), java.util.List.of(lines));
    return new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader());
  }

  @Test
  void should_discover_factories_listed_in_meta_inf_services() {
    ModelFactories factories = ModelFactories.discover(getClass().getClassLoader());

    assertThat(factories.types()).contains("echo");
    assertThat(factories.get("echo")).isInstanceOf(EchoModelFactory.class);
    assertThat(factories.problems()).isEmpty();
  }

  @Test
  void should_report_a_factory_whose_class_is_missing_and_keep_the_others() throws IOException {
    ModelFactories factories =
        ModelFactories.discover(loaderListing("com.example.MissingFactory", Good.class.getName()));

    assertThat(factories.types()).contains("good", "echo");
    assertThat(factories.problems())
        .singleElement()
        .asString()
        .contains("failed to load")
        .contains("com.example.MissingFactory");
  }

  @Test
  void should_report_a_factory_whose_constructor_throws() throws IOException {
    ModelFactories factories =
        ModelFactories.discover(loaderListing(Exploding.class.getName(), Good.class.getName()));

    assertThat(factories.types()).contains("good").doesNotContain("exploding");
    assertThat(factories.problems()).singleElement().asString().contains(Exploding.class.getName());
  }

  @Test
  void should_report_a_factory_with_an_invalid_type() throws IOException {
    ModelFactories factories = ModelFactories.discover(loaderListing(BadType.class.getName()));

    assertThat(factories.problems())
        .singleElement()
        .asString()
        .contains(BadType.class.getName())
        .contains("invalid type 'Bad Type'");
  }

  @Test
  void should_name_both_classes_when_two_factories_serve_one_type() throws IOException {
    ModelFactories factories =
        ModelFactories.discover(loaderListing(Twin1.class.getName(), Twin2.class.getName()));

    assertThat(factories.problems()).singleElement().asString().contains("'twin'");
    assertThatThrownBy(() -> factories.get("twin"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(Twin1.class.getName())
        .hasMessageContaining(Twin2.class.getName());
    assertThatThrownBy(() -> factories.create(ModelSpec.builder("m", "twin").build()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("several model factories serve type 'twin'");
  }

  @Test
  void should_let_an_explicit_registration_win_over_discovery() throws IOException {
    ModelFactories factories =
        ModelFactories.discover(loaderListing(Twin1.class.getName(), Twin2.class.getName()));
    Twin2 chosen = new Twin2();

    factories.register(chosen);

    assertThat(factories.get("twin")).isSameAs(chosen);
    assertThat(ModelFactories.discover(getClass().getClassLoader()).register(new Good()).get("good"))
        .isInstanceOf(Good.class);
  }

  @Test
  void should_refuse_two_explicit_factories_for_one_type() {
    ModelFactories factories = ModelFactories.none().register(new Twin1());

    assertThatThrownBy(() -> factories.register(new Twin2()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(Twin1.class.getName())
        .hasMessageContaining(Twin2.class.getName());
  }

  @Test
  void should_list_known_types_for_an_unknown_type() {
    ModelFactories factories = ModelFactories.none().register(new Good()).register(new EchoModelFactory());

    assertThatThrownBy(() -> factories.get("ecko"))
        .isInstanceOfSatisfying(
            UnknownModelTypeException.class,
            e -> assertThat(e.knownTypes()).containsExactly("echo", "good"))
        .hasMessageContaining("known types: echo, good")
        .hasMessageContaining("Did you mean 'echo'?");
    assertThatThrownBy(() -> factories.get("openai"))
        .hasMessageContaining("provided by io.modelmux:modelmux-http");
    assertThat(factories.find("nothing")).isEmpty();
  }

  @Test
  void should_locate_an_unknown_type_at_the_type_value() {
    ConfigLocation type = new ConfigLocation("models.yaml", 4, 11);
    ModelSpec spec =
        ModelSpec.builder("m", "opnai").source(new ConfigLocation("models.yaml", 3, 5), "models[0]").optionLocation("type", type).build();

    assertThatThrownBy(() -> ModelFactories.none().register(new EchoModelFactory()).create(spec))
        .isInstanceOfSatisfying(UnknownModelTypeException.class, e -> assertThat(e.location()).contains(type))
        .hasMessageStartingWith("models.yaml:4:11: models[0].type: ");
  }

  @Test
  void should_wrap_an_unexpected_factory_failure_with_the_model_and_class() {
    ModelFactories factories = ModelFactories.none().register(new Good());

    assertThatThrownBy(() -> factories.create(ModelSpec.builder("m", "good").option("boom", true).build()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("model 'm'")
        .hasMessageContaining(Good.class.getName())
        .hasRootCauseInstanceOf(UnsupportedOperationException.class);
  }

  /** A factory that cannot build adapters (it is only discovered). */
  public static class Good implements ModelFactory {
    @Override
    public String type() {
      return "good";
    }

    @Override
    public Set<String> optionKeys() {
      return Set.of("boom");
    }

    @Override
    public ModelAdapter create(ModelSpec spec) {
      throw new UnsupportedOperationException("this test factory builds nothing");
    }
  }

  /** A factory whose constructor fails. */
  public static class Exploding extends Good {
    /** Fails. */
    public Exploding() {
      throw new IllegalStateException("boom in constructor");
    }

    @Override
    public String type() {
      return "exploding";
    }
  }

  /** A factory with a type that is not allowed. */
  public static class BadType extends Good {
    @Override
    public String type() {
      return "Bad Type";
    }
  }

  /** One of two factories for type twin. */
  public static class Twin1 extends Good {
    @Override
    public String type() {
      return "twin";
    }
  }

  /** The other of two factories for type twin. */
  public static class Twin2 extends Twin1 {}
}
