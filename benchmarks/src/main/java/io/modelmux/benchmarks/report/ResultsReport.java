package io.modelmux.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.benchmarks.Goal;
import java.awt.Color;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jspecify.annotations.Nullable;

/**
 * Turns JMH's JSON ({@code -rf json}) into {@code benchmarks/RESULTS.md} tables and a PNG chart
 * of the ratios.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.modelmux.benchmarks.report.ResultsReport \
 *     results.json benchmarks/RESULTS.md benchmarks/results.png "the command that made results.json"
 * </pre>
 *
 * <p>One table per benchmark class: each result (parameters and threads), its score with JMH's
 * error and unit, the bytes allocated per operation (with {@code -prof gc}), the ratio to the
 * benchmark it is compared with in the same run ({@link Goal#against()}, else the class's
 * {@code baseline}), the goal and whether it was met. Each table replaces the text between
 * {@code <!-- generated: Class -->} and {@code <!-- end generated -->} in the file, so the
 * hand-written explanations around it stay; a class without markers gets a new section at the
 * end. A block {@code <!-- generated: run -->} says the machine, the JDK, the command and the
 * date.
 */
public final class ResultsReport {
  static final String BEGIN = "<!-- generated: ";
  static final String END = "<!-- end generated -->";

  /** One JMH result. */
  record Result(
      String clazz, String method, String mode, int threads, Map<String, String> params, double score, double error,
      String unit, double allocated, double p50, double p99, Map<String, Double> secondary) {
    String key() {
      return params + "/" + threads;
    }

    String label() {
      StringBuilder sb = new StringBuilder(method);
      params.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
      if (threads > 1) {
        sb.append(" t=").append(threads);
      }
      return sb.toString();
    }
  }

  /** A result's comparison with its reference and its goal. */
  record Row(Result result, @Nullable Result reference, @Nullable Goal goal) {
    /** The figure compared: the score, a sampled time's p50 or p99, or the goal's secondary metric. */
    double figure(Result r) {
      if (goal == null || goal.metric().isEmpty()) {
        return r.score;
      }
      switch (goal.metric()) {
        case "p50":
          return r.p50;
        case "p99":
          return r.p99;
        default:
          return r.secondary.getOrDefault(goal.metric(), Double.NaN);
      }
    }

    double ratio() {
      return reference == null || figure(reference) == 0 ? Double.NaN : figure(result) / figure(reference);
    }

    String goalText() {
      if (goal == null) {
        return "—";
      }
      List<String> parts = new ArrayList<>();
      String ref = goal.againstParam().isEmpty() ? goal.against() : goal.againstParam();
      String unitOf = goal.metric().isEmpty() ? result.unit
          : goal.metric().startsWith("p") && goal.metric().length() == 3 ? result.unit + " at " + goal.metric() : goal.metric();
      if (!Double.isNaN(goal.maxRatio())) {
        parts.add("≤ " + num(goal.maxRatio()) + "× " + ref);
      }
      if (!Double.isNaN(goal.minRatio())) {
        parts.add("≥ " + num(goal.minRatio()) + "× " + ref);
      }
      if (!Double.isNaN(goal.maxScore())) {
        parts.add("≤ " + num(goal.maxScore()) + " " + unitOf);
      }
      if (!Double.isNaN(goal.maxOver())) {
        parts.add("≤ " + goal.against() + " + " + num(goal.maxOver()) + " " + unitOf);
      }
      if (!Double.isNaN(goal.maxAllocatedOver())) {
        parts.add("≤ " + goal.against() + " + " + num(goal.maxAllocatedOver()) + " B/op");
      }
      if (!Double.isNaN(goal.maxAllocated())) {
        parts.add("≤ " + num(goal.maxAllocated()) + " B/op");
      }
      return parts.isEmpty() ? "—" : String.join(", ", parts);
    }

    /** Returns "yes", "no", or "—" when there is nothing to check (or no reference measured). */
    String met() {
      if (goal == null || goalText().equals("—")) {
        return "—";
      }
      boolean ok = true;
      boolean checked = false;
      if (!Double.isNaN(goal.maxScore())) {
        ok &= figure(result) <= goal.maxScore();
        checked = true;
      }
      if (!Double.isNaN(goal.maxAllocated()) && !Double.isNaN(result.allocated)) {
        ok &= result.allocated <= goal.maxAllocated();
        checked = true;
      }
      if (reference != null) {
        if (!Double.isNaN(goal.maxRatio())) {
          ok &= ratio() <= goal.maxRatio();
          checked = true;
        }
        if (!Double.isNaN(goal.minRatio())) {
          ok &= ratio() >= goal.minRatio();
          checked = true;
        }
        if (!Double.isNaN(goal.maxOver())) {
          ok &= figure(result) - figure(reference) <= goal.maxOver();
          checked = true;
        }
        if (!Double.isNaN(goal.maxAllocatedOver()) && !Double.isNaN(result.allocated) && !Double.isNaN(reference.allocated)) {
          ok &= result.allocated - reference.allocated <= goal.maxAllocatedOver();
          checked = true;
        }
      }
      return checked ? (ok ? "yes" : "no") : "—";
    }
  }

  private ResultsReport() {}

  /**
   * Writes the tables and the chart.
   *
   * @param args the JMH JSON, {@code RESULTS.md}, the PNG to write, and the command that made
   *     the JSON (the rest of the arguments, joined)
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: ResultsReport results.json RESULTS.md chart.png [the command that made results.json]");
      System.exit(2);
    }
    System.setProperty("java.awt.headless", "true");
    Path json = Path.of(args[0]);
    Path markdown = Path.of(args[1]);
    Path chart = Path.of(args[2]);
    String command = args.length > 3 ? String.join(" ", java.util.Arrays.copyOfRange(args, 3, args.length)) : "(not given)";
    List<Result> results = read(json);
    Map<String, List<Row>> rows = rows(results);
    String text = Files.exists(markdown) ? Files.readString(markdown, StandardCharsets.UTF_8) : "# Benchmark results\n";
    text = replace(text, "run", runBlock(json, results, command));
    for (Map.Entry<String, List<Row>> e : rows.entrySet()) {
      text = replace(text, e.getKey(), table(e.getKey(), e.getValue()));
    }
    Files.writeString(markdown, text, StandardCharsets.UTF_8);
    chart(rows, chart);
    System.out.println("wrote " + rows.size() + " table(s) to " + markdown + " and the chart to " + chart);
  }

  /** Reads JMH's JSON. */
  static List<Result> read(Path json) throws IOException {
    List<Result> out = new ArrayList<>();
    for (JsonNode r : new ObjectMapper().readTree(json.toFile())) {
      String name = r.path("benchmark").asText();
      int dot = name.lastIndexOf('.');
      Map<String, String> params = new TreeMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = r.path("params").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> p = it.next();
        params.put(p.getKey(), p.getValue().asText());
      }
      JsonNode primary = r.path("primaryMetric");
      JsonNode alloc = r.path("secondaryMetrics").path("gc.alloc.rate.norm");
      Map<String, Double> secondary = new TreeMap<>();
      Iterator<Map.Entry<String, JsonNode>> sm = r.path("secondaryMetrics").fields();
      while (sm.hasNext()) {
        Map.Entry<String, JsonNode> m = sm.next();
        if (!m.getKey().startsWith("gc.")) {
          secondary.put(m.getKey(), m.getValue().path("score").asDouble(Double.NaN));
        }
      }
      out.add(new Result(
          name.substring(0, dot), name.substring(dot + 1), r.path("mode").asText(), r.path("threads").asInt(1), params,
          primary.path("score").asDouble(Double.NaN), primary.path("scoreError").asDouble(Double.NaN),
          primary.path("scoreUnit").asText(), alloc.isMissingNode() ? Double.NaN : alloc.path("score").asDouble(Double.NaN),
          primary.path("scorePercentiles").path("50.0").asDouble(Double.NaN),
          primary.path("scorePercentiles").path("99.0").asDouble(Double.NaN), secondary));
    }
    return out;
  }

  /** Pairs each result with its reference and goal, by class, in the order measured. */
  static Map<String, List<Row>> rows(List<Result> results) {
    Map<String, List<Row>> byClass = new LinkedHashMap<>();
    for (Result r : results) {
      List<Goal> goals = new ArrayList<>();
      for (Goal g : goals(r.clazz(), r.method())) {
        if (g.mode().isEmpty() || g.mode().equals(r.mode())) {
          goals.add(g);
        }
      }
      for (Goal goal : goals.isEmpty() ? java.util.Collections.<Goal>singletonList(null) : goals) {
        String against = goal != null ? goal.against() : "baseline";
        Map<String, String> wanted = r.params();
        if (goal != null && !goal.againstParam().isEmpty()) {
          String[] kv = goal.againstParam().split("=", 2);
          wanted = new TreeMap<>(r.params());
          wanted.put(kv[0], kv[1]);
          if (against.equals("baseline")) {
            against = r.method();
          }
        }
        Result reference = null;
        if (!(r.method().equals(against) && wanted.equals(r.params()))) {
          for (Result o : results) {
            if (o.clazz().equals(r.clazz()) && o.method().equals(against) && o.mode().equals(r.mode())
                && sameSetting(o, r.threads(), wanted)) {
              reference = o;
              break;
            }
          }
        }
        byClass.computeIfAbsent(simple(r.clazz()), k -> new ArrayList<>()).add(new Row(r, reference, goal));
      }
    }
    return byClass;
  }

  /** The reference is measured with the parameters wanted (those it has) and the same threads. */
  private static boolean sameSetting(Result reference, int threads, Map<String, String> wanted) {
    if (reference.threads() != threads) {
      return false;
    }
    for (Map.Entry<String, String> p : reference.params().entrySet()) {
      if (!Objects.equals(wanted.get(p.getKey()), p.getValue())) {
        return false;
      }
    }
    return true;
  }

  private static List<Goal> goals(String clazz, String method) {
    try {
      for (Method m : Class.forName(clazz).getMethods()) {
        if (m.getName().equals(method)) {
          return List.of(m.getAnnotationsByType(Goal.class));
        }
      }
    } catch (ClassNotFoundException e) {
      return List.of(); // a result of a benchmark no longer in the jar: no goal to read
    }
    return List.of();
  }

  static String table(String clazz, List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(clazz).append(" | score | allocated | against | ratio | goal | met |\n");
    sb.append("| --- | ---: | ---: | --- | ---: | --- | --- |\n");
    for (Row row : rows) {
      Result r = row.result();
      sb.append("| ").append(r.label()).append(r.mode().equals("avgt") || r.mode().equals("thrpt") ? "" : " (" + r.mode() + ")")
          .append(" | ").append(num(r.score())).append(Double.isNaN(r.error()) ? "" : " ± " + num(r.error())).append(' ').append(r.unit())
          .append(r.mode().equals("sample") && !Double.isNaN(r.p50()) ? " (p50 " + num(r.p50()) + ", p99 " + num(r.p99()) + ")" : "")
          .append(row.goal() != null && !row.goal().metric().isEmpty()
              ? "; " + row.goal().metric() + " " + num(row.figure(r)) : "")
          .append(" | ").append(Double.isNaN(r.allocated()) ? "—" : num(r.allocated()) + " B")
          .append(" | ").append(row.reference() == null ? "—" : row.reference().label())
          .append(" | ").append(Double.isNaN(row.ratio()) ? "—" : String.format(Locale.ROOT, "%.2f", row.ratio()))
          .append(" | ").append(row.goalText())
          .append(" | ").append(row.met()).append(" |\n");
    }
    return sb.toString();
  }

  private static String runBlock(Path json, List<Result> results, String command) {
    String jdk = "unknown";
    try {
      JsonNode first = new ObjectMapper().readTree(json.toFile()).path(0);
      jdk = first.path("vmName").asText() + " " + first.path("vmVersion").asText() + " (JDK " + first.path("jdkVersion").asText()
          + "), JMH " + first.path("jmhVersion").asText();
    } catch (IOException e) {
      // keep "unknown"
    }
    return "| | |\n| --- | --- |\n"
        + "| date | " + LocalDate.now(ZoneOffset.UTC) + " |\n"
        + "| machine | " + Runtime.getRuntime().availableProcessors() + " cores, " + cpu() + " |\n"
        + "| JDK | " + jdk + " |\n"
        + "| command | `" + command.replace("|", "\\|") + "` |\n"
        + "| results | " + results.size() + " |\n";
  }

  private static String cpu() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  /** Replaces the block of {@code name} in {@code text}, or appends it as a new section. */
  static String replace(String text, String name, String block) {
    String begin = BEGIN + name + " -->";
    int b = text.indexOf(begin);
    if (b < 0) {
      String heading = name.equals("run") ? "\n## The last run\n\n" : "\n## " + name + "\n\n";
      return text.stripTrailing() + "\n" + heading + begin + "\n" + block + END + "\n";
    }
    int e = text.indexOf(END, b);
    if (e < 0) {
      throw new IllegalArgumentException("the block '" + name + "' has no end marker " + END);
    }
    return text.substring(0, b) + begin + "\n" + block + text.substring(e);
  }

  /** Draws each compared result's ratio to its reference as a horizontal bar; 1 is marked. */
  static void chart(Map<String, List<Row>> rows, Path png) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    int bars = 0;
    for (Map.Entry<String, List<Row>> e : rows.entrySet()) {
      for (Row row : e.getValue()) {
        if (!Double.isNaN(row.ratio())) {
          data.addValue(row.ratio(), "ratio", e.getKey() + "." + row.result().label() + " / " + row.reference().label());
          bars++;
        }
      }
    }
    JFreeChart chart = ChartFactory.createBarChart(
        "Each result as a ratio to its reference, one run", null, "score / reference's score", data,
        PlotOrientation.HORIZONTAL, false, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    org.jfree.chart.axis.LogAxis log = new org.jfree.chart.axis.LogAxis("score / reference's score (log scale; 1 = the same)");
    log.setSmallestValue(0.01);
    log.setNumberFormatOverride(new java.text.DecimalFormat("0.##"));
    plot.setRangeAxis(log);
    plot.getDomainAxis().setMaximumCategoryLabelWidthRatio(0.5f);
    plot.addRangeMarker(new ValueMarker(1.0, Color.RED, new java.awt.BasicStroke(1.5f)));
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 1200, Math.max(300, 60 + 22 * bars));
  }

  private static String simple(String clazz) {
    return clazz.substring(clazz.lastIndexOf('.') + 1);
  }

  static String num(double v) {
    if (Double.isNaN(v)) {
      return "—";
    }
    double a = Math.abs(v);
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    return String.format(Locale.ROOT, "%.3g", v);
  }
}
