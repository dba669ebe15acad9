package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.MultiModelManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code notebook.jsh} runs in the JDK's own {@code jshell} on the examples' class path and prints
 * what the tour promises, and {@code notebook.ipynb} holds the same cells for a Java kernel.
 *
 * <p>The .jsh is split into cells at its marker lines: {@code // %%} starts a code cell and
 * {@code // %% [markdown]} a markdown cell whose lines are {@code // } comments; the header before
 * the first marker and the closing {@code /exit} belong to no cell. The notebook has one cell more,
 * {@value #JARS_CELL}, right before the first code cell: IJava's way to put the jar on its class
 * path, which jshell gets from {@code --class-path}.
 */
class NotebookTest {
  private static final Path JSH = Path.of("notebook.jsh");
  private static final Path IPYNB = Path.of("notebook.ipynb");
  private static final String JARS_CELL = "%jars target/modelmux.jar";
  private static final String CODE = "// %%";
  private static final String MARKDOWN = "// %% [markdown]";

  /** A cell: "code" or "markdown", and its text. */
  private record Cell(String type, String source) {}

  @Test
  void should_run_the_jsh_in_jshell_and_print_the_tour(@TempDir Path dir) throws Exception {
    Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
    assertThat(jshell).as("the running JDK's jshell").isExecutable();
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");
    ProcessBuilder builder =
        new ProcessBuilder(jshell.toString(), "--class-path", classPath, JSH.toString())
            .directory(Path.of("").toAbsolutePath().toFile()) // examples/, where the notebook's paths resolve
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    builder.environment().remove(MultiModelManager.DEFAULT_MODEL_ENV);

    Process process = builder.start();
    process.getOutputStream().close(); // no input: should the script not end with /exit, jshell ends at once
    boolean ended = process.waitFor(3, TimeUnit.MINUTES);
    if (!ended) {
      process.descendants().forEach(ProcessHandle::destroyForcibly); // jshell's execution JVM
      process.destroyForcibly();
    }

    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    String both = "stdout:\n" + stdout + "\nstderr:\n" + stderr;
    assertThat(ended).as("jshell ended within 3 minutes; %s", both).isTrue();
    assertThat(process.exitValue()).as(both).isZero();
    assertThat(both)
        .as("jshell reports no compile error, exception or logged error")
        .doesNotContainPattern("(?m)^(\\|\\s+)?(Error:|Exception |ERROR )")
        .doesNotContain("Caused by");
    assertThat(stdout)
        .contains("tiny-lm@1 djl REGISTERED", "tiny-lm@2 djl REGISTERED", "llama-8b@latest openai REGISTERED")
        .containsPattern("served by tiny-lm@1, LENGTH, Usage\\[promptTokens=\\d+, completionTokens=60], cost \\d")
        .contains("again: same text true, from the cache true")
        .containsPattern("streamed by tiny-lm@2, (LENGTH|STOP)")
        .contains("prod was served by tiny-lm@1")
        .containsPattern("ada -> tiny-lm@[12] \\(sticky")
        .containsPattern("(?m)^tiny-lm@1 +LOADED +ACTIVE +\\d+\\.\\d MB MEASURED")
        .containsPattern("(?m)^llama-8b@latest +REGISTERED +COLD +0\\.0 MB")
        .containsPattern("pool host: \\d+\\.\\d MB used of \\d+\\.\\d MB")
        .containsPattern("tiny-lm@1: 4 requests, \\d+ tokens out")
        .contains("route chat: 3 requests")
        .contains("cache: 1 hits, 1 misses")
        .containsPattern("cost: \\d+\\.\\d{8} in all, saving -?\\d+\\.\\d{8} against llama-8b")
        .endsWith("closed\n");
  }

  @Test
  void should_hold_the_cells_of_the_jsh_in_the_ipynb() throws IOException {
    List<Cell> expected = new ArrayList<>(jshCells());
    int firstCode = expected.indexOf(expected.stream().filter(c -> c.type().equals("code")).findFirst().orElseThrow());
    expected.add(firstCode, new Cell("code", JARS_CELL));

    List<Cell> actual = new ArrayList<>();
    for (JsonNode cell : notebook().get("cells")) {
      actual.add(new Cell(cell.get("cell_type").asText(), source(cell)));
    }

    assertThat(actual)
        .as("notebook.ipynb's cells: those of notebook.jsh, with %s before the first code cell", JARS_CELL)
        .containsExactlyElementsOf(expected);
  }

  @Test
  void should_split_the_jsh_into_the_tours_cells() throws IOException {
    List<Cell> cells = jshCells();

    assertThat(cells).hasSizeGreaterThanOrEqualTo(12).allSatisfy(c -> assertThat(c.source()).isNotBlank());
    assertThat(cells.get(0)).extracting(Cell::type, c -> c.source().lines().findFirst().orElseThrow())
        .containsExactly("markdown", "# ModelMux: a tour of the Java API");
    assertThat(cells.get(cells.size() - 1).source()).startsWith("models.close();");
    assertThat(Files.readAllLines(JSH)).last().isEqualTo("/exit");
  }

  @Test
  void should_keep_no_outputs_and_name_a_java_kernel_in_the_ipynb() throws IOException {
    JsonNode notebook = notebook();

    assertThat(notebook.get("nbformat").asInt()).isEqualTo(4);
    assertThat(notebook.at("/metadata/kernelspec/name").asText()).isEqualTo("java");
    assertThat(notebook.at("/metadata/kernelspec/language").asText()).isEqualTo("java");
    for (JsonNode cell : notebook.get("cells")) {
      if (cell.get("cell_type").asText().equals("code")) {
        assertThat(cell.get("outputs")).as("outputs of %s", cell.get("id")).isEmpty();
        assertThat(cell.get("execution_count").isNull()).as("execution_count of %s", cell.get("id")).isTrue();
      }
    }
  }

  private static JsonNode notebook() throws IOException {
    return new ObjectMapper().readTree(IPYNB.toFile());
  }

  /** Returns a cell's source: a list of lines, each but the last ending in a newline, or one string. */
  private static String source(JsonNode cell) {
    JsonNode source = cell.get("source");
    if (source.isTextual()) {
      return source.asText();
    }
    StringBuilder text = new StringBuilder();
    source.forEach(line -> text.append(line.asText()));
    return text.toString();
  }

  private static List<Cell> jshCells() throws IOException {
    List<Cell> cells = new ArrayList<>();
    String type = null;
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(JSH, StandardCharsets.UTF_8)) {
      if (line.equals(CODE) || line.equals(MARKDOWN) || line.equals("/exit")) {
        if (type != null) {
          cells.add(new Cell(type, trimBlankLines(lines)));
        }
        type = line.equals(CODE) ? "code" : line.equals(MARKDOWN) ? "markdown" : null;
        lines.clear();
      } else if (type != null) {
        if (type.equals("markdown")) {
          assertThat(line).as("a markdown line of notebook.jsh").matches("(//|// .*)?");
          line = line.length() > 3 ? line.substring(3) : "";
        }
        lines.add(line);
      }
    }
    return cells;
  }

  private static String trimBlankLines(List<String> lines) {
    int from = 0;
    int to = lines.size();
    while (from < to && lines.get(from).isBlank()) {
      from++;
    }
    while (to > from && lines.get(to - 1).isBlank()) {
      to--;
    }
    return String.join("\n", lines.subList(from, to));
  }
}
