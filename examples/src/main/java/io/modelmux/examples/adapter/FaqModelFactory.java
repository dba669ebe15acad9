package io.modelmux.examples.adapter;

import io.modelmux.*;
import io.modelmux.spi.*;
import java.io.IOException;
import java.nio.file.*;
import java.util.*;
import java.util.stream.Collectors;

/**
 * Type {@code faq}: answers from a file of {@code question => answer} lines, the closest question's, word by word.
 */
public final class FaqModelFactory implements ModelFactory {
  @Override public String type() { return "faq"; }
  @Override public Set<String> optionKeys() { return Set.of("path"); }
  @Override public ModelAdapter create(ModelSpec spec) { return new Faq(spec.ref(), Path.of(spec.requiredOptionString("path"))); }
  private static final class Faq implements ModelAdapter {
    private final ModelInfo info;
    private final Path file;
    private volatile Map<Set<String>, String> answers; // by the question's words, in file order; null when not loaded
    Faq(ModelRef ref, Path path) { info = new ModelInfo(ref, "faq", Set.of(Capability.STREAMING)); file = path; }
    @Override public ModelInfo info() { return info; }
    @Override public boolean isLoaded() { return answers != null; }
    @Override public void unload() { answers = null; }
    @Override public void close() { answers = null; }
    @Override public Health health() { return Files.isReadable(file) ? Health.up("readable") : Health.down("unreadable"); }
    @Override public Footprint footprint() { return Footprint.estimated(Footprint.HOST, 4 * file.toFile().length()); }
    @Override public Completion generate(GenerateRequest request) { return stream(request, null); }
    @Override public synchronized void load() {
      if (answers != null) { return; }
      try { // lines without "=>" are comments; the first of equal questions counts
        answers = Files.readAllLines(file).stream().map(line -> line.split("=>", 2)).filter(qa -> qa.length == 2)
            .collect(Collectors.toMap(qa -> words(qa[0]), qa -> qa[1].strip(), (first, later) -> first, LinkedHashMap::new));
      } catch (IOException e) {
        throw new ModelLoadException("FAQ model '" + info.ref() + "' cannot read " + file + ": " + e, info.ref().id(), e);
      }
    }
    @Override public Completion stream(GenerateRequest request, TokenSink sink) {
      Map<Set<String>, String> faq = answers;
      if (faq == null) { throw new IllegalStateException("FAQ model '" + info.ref() + "' is not loaded"); }
      Set<String> asked = words(request.prompt().orElseGet(() -> request.messages().get(request.messages().size() - 1).content()));
      String answer = faq.keySet().stream().filter(q -> q.stream().anyMatch(asked::contains)) // most shared words of all (Dice)
          .max(Comparator.comparingDouble(q -> q.stream().filter(asked::contains).count() / (q.size() + asked.size() + 0.0)))
          .map(faq::get).orElseThrow(() -> new InvalidRequestException(info.ref() + ": no question matches", info.ref().id(), null));
      String[] words = answer.split("(?<= )"); // a piece is a word and the space after it
      int max = request.options().maxTokens().orElse(Integer.MAX_VALUE), n = 0;
      for (; n < words.length && n < max && (sink == null || !sink.isCancelled()); n++) {
        if (sink != null) { sink.accept(words[n]); }
      }
      FinishReason end = n == words.length ? FinishReason.STOP : n == max ? FinishReason.LENGTH : FinishReason.CANCELLED;
      return Completion.builder().text(String.join("", Arrays.copyOf(words, n))).finishReason(end)
          .usage(new Usage(asked.size(), n)).build();
    }
    private static Set<String> words(String text) {
      return Arrays.stream(text.toLowerCase(Locale.ROOT).split("(?U)\\W+")).filter(w -> !w.isEmpty()).collect(Collectors.toSet());
    }
  }
}
