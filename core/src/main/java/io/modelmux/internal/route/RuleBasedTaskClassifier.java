package io.modelmux.internal.route;

import io.modelmux.ChatMessage;
import io.modelmux.GenerateRequest;
import io.modelmux.spi.TaskClassifier;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The built-in {@link TaskClassifier}: scores the request's text (the prompt, or the last user
 * message with the system message) for each task by the words and phrases that ask for it, the
 * shape of code, the naming of a human language, and whether the prompt hands over a passage or a
 * quotation to work on; returns the best task, or {@value #CHAT} when nothing asks for another.
 *
 * <p>Words that name the task asked for (summarize, translate, classify, extract) weigh more than
 * words of the domain (code, a programming language), so that "translate this code comment" is a
 * translation and "summarize this review thread" a summary. Words inside quotation marks, and in
 * the passage after the instruction, are the material, not the request: they count for little.
 * Only the first 400 and the last 200 characters are read word by word (instructions are there),
 * so a kilobyte of prompt costs a few microseconds. Thread-safe (immutable).
 */
final class RuleBasedTaskClassifier implements TaskClassifier {
  private static final String[] TASKS = {CHAT, CODE, SUMMARIZATION, CLASSIFICATION, EXTRACTION, TRANSLATION};
  private static final int T_CHAT = 0;
  private static final int T_CODE = 1;
  private static final int T_SUM = 2;
  private static final int T_CLS = 3;
  private static final int T_EXT = 4;
  private static final int T_TRA = 5;

  /** Word, or phrase of up to four words, to its weight for each task. */
  private static final Map<String, double[]> WORDS = new HashMap<>();
  /** The last words of the phrases: only after one of them are phrases looked up. */
  private static final Set<String> PHRASE_ENDS = new HashSet<>();
  /** Everything a word may be, looked up without allocating (built once, below). */
  private static final WordTable TABLE;
  /** Names of human languages: naming one is a strong sign of translation. */
  private static final Set<String> LANGUAGES =
      Set.of("english", "french", "spanish", "german", "italian", "japanese", "chinese", "mandarin", "cantonese",
          "portuguese", "korean", "russian", "arabic", "dutch", "hindi", "polish", "swedish", "greek", "turkish",
          "vietnamese", "thai", "hebrew", "ukrainian", "czech", "danish", "finnish", "norwegian", "indonesian",
          "francés", "alemán", "inglés", "italiano", "japonés", "chino", "portugués", "francese", "inglese", "tedesco",
          "spagnolo", "giapponese", "französisch", "englisch", "spanisch", "italienisch", "japanisch", "anglais",
          "allemand", "espagnol", "italien", "japonais", "chinois", "inglês", "francês", "alemão", "espanhol");
  private static final Pattern LANGUAGE_PAIR =
      Pattern.compile("\\b(en|de|fr|es|it|ja|jp|zh|pt|ru|ko|nl|pl|ar)\\s*(→|->|=>|>|2|to)\\s*(en|de|fr|es|it|ja|jp|zh|pt|ru|ko|nl|pl|ar)\\b");

  private static void words(int task, double weight, String... words) {
    for (String w : words) {
      WORDS.computeIfAbsent(w, k -> new double[TASKS.length])[task] += weight;
      int space = w.lastIndexOf(' ');
      if (space >= 0) {
        PHRASE_ENDS.add(w.substring(space + 1));
      }
    }
  }

  static {
    // translation: asking for it, in several languages
    words(T_TRA, 8, "translate", "translation", "translating", "traduire", "traduis", "traduisez", "traduction",
        "traduce", "traducir", "tradúceme", "traduzca", "traducción", "traduci", "traduzione", "traduza", "tradução",
        "übersetze", "übersetzen", "übersetzung", "vertaal", "переведи", "переведите", "how do you say",
        "how do i say", "how would you say", "cómo se dice", "como se dice", "como se diz", "come si dice",
        "comment dit-on", "comment dire", "wie sagt man", "render", "localize", "localise");
    words(T_TRA, 3, "say", "dice", "diz");
    // summarization
    words(T_SUM, 8, "summarize", "summarise", "summarizing", "summarising", "tl;dr", "tldr", "résume", "résumez",
        "resume", "resumen", "resumir", "resuma", "riassumi", "riassunto", "zusammenfassung", "zusammen", "fasse",
        "recap", "gist", "condense", "shorten", "key points", "main points", "key takeaways", "takeaways",
        "in a nutshell", "boil down", "executive summary", "short version", "sum up", "sum this up", "sum it up",
        "synopsis", "bullet points", "what's it saying", "whats it saying", "what is it saying", "what does it say",
        "in two sentences", "in one sentence", "in 2 lines", "in a few lines", "summary of the following",
        "brief summary", "quick summary", "overview of the following");
    words(T_SUM, 3, "summary", "summaries", "abstract", "highlights", "briefly");
    // classification
    words(T_CLS, 8, "classify", "classifying", "categorize", "categorise", "sentiment", "spam", "toxic", "toxicity",
        "clickbait", "positive or negative", "pos or neg", "complaint or", "which category", "what category",
        "one of the categories", "one of these categories", "which department", "assign the", "label this",
        "label the", "tag this", "which language", "what language", "identify the language", "language of this",
        "detect the language", "star rating", "predict the", "is it urgent", "priority level", "clasifica",
        "clasificar", "clasifique", "classifie", "classer", "classifica", "classifique", "klassifiziere",
        "ordne", "kategorie", "kategorien", "categoría", "categorías", "catégorie", "categoria", "categorie",
        "yes or no", "true or false");
    words(T_CLS, 4, "category", "categories", "label", "labels", "intent", "topic", "neutral", "positive", "negative",
        "classification", "language?", "urgency", "priority", "rating", "complaint", "compliment", "fake");
    words(T_CLS, 3, "is this", "does this", "would you consider", "is it", "which one");
    // extraction
    words(T_EXT, 8, "extract", "extracting", "extraction", "pull out", "entities", "named entities", "key-value",
        "as json", "in json", "into json", "to json", "json format", "as csv", "as a table", "into a table",
        "create a table", "make a table", "list all", "list every", "find all", "find every", "identify every",
        "identify all", "get me the", "which companies are mentioned", "mentioned in", "extrae", "extraer",
        "extrais", "extraire", "extrahiere", "extrahieren", "extraia", "estrai", "estrarre", "fill in",
        "fill out", "populate");
    words(T_EXT, 4, "json", "csv", "fields", "schema", "table", "names", "emails", "email addresses", "phone numbers",
        "dates", "amounts", "addresses", "invoice number", "tracking number", "order number", "flight number",
        "structured", "list", "parse");
    // code: domain words
    words(T_CODE, 4, "code", "function", "method", "bug", "debug", "compile", "compiler", "exception", "stack trace",
        "traceback", "refactor", "unit test", "regex", "regular expression", "sql", "python", "java", "javascript",
        "typescript", "rust", "golang", "c++", "c#", "kotlin", "swift", "php", "bash", "shell", "powershell",
        "script", "api", "endpoint", "npm", "pip", "maven", "gradle", "git", "docker", "kubernetes", "react", "vue",
        "angular", "css", "html", "django", "flask", "spring", "node", "js", "vim", "emacs", "vscode", "dotenv",
        "segfault", "null pointer", "nullpointerexception", "linter", "dockerfile", "makefile", "terminal",
        "command line", "programming", "deprecated", "async", "await", "mutex", "deadlock", "component", "props",
        "re-render", "render", "query", "database", "dataframe", "pandas", "numpy", "variable", "variables",
        "variáveis", "variable de entorno", "loop", "recursion", "array", "class", "import", "library", "framework",
        "algorithm", "implement", "snippet", "syntax", "indent", "indenting", "auto-indenting", "compile error",
        "build", "dependency", "thread", "pointer", "struct", "enum", "lambda", "repo", "commit", "merge",
        "pull request", "branch", "ci", "pipeline", "yaml", "kubectl", "cron", "grep", "sed", "awk", "curl", "http");
    words(T_CODE, 2, "error", "program", "app", "server", "deploy", "install", "config");
    // chat: conversation, advice, creative requests
    words(T_CHAT, 2, "hi", "hello", "hey", "thanks", "thank you", "how are you", "what do you think", "opinion",
        "advice", "recommend", "suggest", "ideas", "brainstorm", "poem", "story", "joke", "song", "write me",
        "tell me", "should i", "what's the best", "how can i", "how do i", "any tips", "tips", "help me", "feel",
        "weekend", "vacation", "recipe", "haiku", "limerick", "fun", "favorite", "favourite", "bonjour", "hola",
        "hallo", "itinerary", "plan", "learn", "learning", "books", "movie", "movies", "gift");
  }

  static {
    Map<String, WordTable.Entry> entries = new HashMap<>();
    WORDS.forEach((w, weights) -> entries.put(w, new WordTable.Entry(weights, false, false)));
    for (String end : PHRASE_ENDS) {
      WordTable.Entry e = entries.get(end);
      entries.put(end, new WordTable.Entry(e == null ? null : e.weights(), false, true));
    }
    for (String language : LANGUAGES) {
      WordTable.Entry e = entries.get(language);
      entries.put(language, new WordTable.Entry(e == null ? null : e.weights(), true, e != null && e.endsPhrase()));
    }
    TABLE = new WordTable(entries);
  }

  @Override
  public Optional<String> classify(GenerateRequest request) {
    String text = text(request);
    if (text.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(TASKS[best(text)]);
  }

  /** Returns the index of the best task for {@code text}. */
  static int best(String text) {
    double[] score = scores(text);
    int best = T_CHAT;
    for (int t = 1; t < score.length; t++) {
      if (score[t] > score[best]) {
        best = t;
      }
    }
    return score[best] < 3 ? T_CHAT : best;
  }

  /** Returns each task's score for {@code text}, in the order of {@link #TASKS}. */
  static double[] scores(String text) {
    double[] score = new double[TASKS.length];
    char[] chars = text.toCharArray(); // array reads are cheaper than String.charAt on every character
    int head = instructionEnd(chars);
    scan(chars, 0, Math.min(chars.length, 400), head, score);
    if (chars.length > 400) {
      // the tail: an instruction after its passage ("... Summarize the above.")
      scan(chars, Math.max(400, chars.length - 200), chars.length, chars.length, score);
    }
    shapes(text, chars, head, score);
    return score;
  }

  /**
   * Scores the words of {@code text} from {@code from} to {@code to}: words of the instruction
   * (before {@code head}, outside quotation marks) count double, others a third. Words are
   * looked up by their characters, lower-cased on the fly: nothing is allocated per word.
   */
  private static void scan(char[] text, int from, int to, int head, double[] score) {
    // the last four words: where they start and end, and their hashes
    int[] starts = new int[4];
    int[] ends = new int[4];
    int[] hashes = new int[4];
    int words = 0;
    boolean quoted = false;
    boolean languageSeen = false;
    int i = from;
    while (i < to) {
      while (i < to && !isWordChar(text[i])) {
        quoted ^= isQuote(text[i]);
        i++;
      }
      int start = i;
      while (i < to && isWordChar(text[i])) {
        i++;
      }
      if (start == i) {
        break;
      }
      // shift the window of the last words: slot 3 is this word
      System.arraycopy(starts, 1, starts, 0, 3);
      System.arraycopy(ends, 1, ends, 0, 3);
      System.arraycopy(hashes, 1, hashes, 0, 3);
      starts[3] = start;
      ends[3] = i;
      hashes[3] = WordTable.raw(text, start, i);
      words++;
      double factor = start < head && !quoted ? 2 : 0.35;
      WordTable.Entry entry = TABLE.get(text, starts, ends, 3, 1, hashes[3]);
      if (entry == null) {
        // fall through to the '?' form below
      } else {
        add(score, entry.weights(), factor);
        if (!quoted && !languageSeen && entry.language()) {
          languageSeen = true;
          score[T_TRA] += start < head ? 7 : 2; // "in Japanese?", "the French for", "into Portuguese"
        }
        if (entry.endsPhrase()) {
          int h = hashes[3];
          int length = i - start;
          for (int k = 2; k >= 0 && k >= 4 - words; k--) {
            h = WordTable.join(hashes[k], h, length);
            length += ends[k] - starts[k] + 1;
            add(score, weights(TABLE.get(text, starts, ends, k, 4 - k, h)), factor);
          }
        }
      }
      if (i < to && text[i] == '?') {
        // "language?": the word and its question mark, as written
        starts[3] = start;
        ends[3] = i + 1;
        add(score, weights(TABLE.get(text, starts, ends, 3, 1, WordTable.raw(text, start, i + 1))), factor);
        ends[3] = i;
      }
    }
  }

  private static double @org.jspecify.annotations.Nullable [] weights(WordTable.@org.jspecify.annotations.Nullable Entry e) {
    return e == null ? null : e.weights();
  }

  private static void add(double[] score, double[] weights, double factor) {
    if (weights != null) {
      for (int t = 0; t < score.length; t++) {
        score[t] += weights[t] * factor;
      }
    }
  }

  /** Which ASCII characters are part of a word: letters, digits, and ; # + - ' (as in tl;dr, c#, c++, key-value, what's). */
  private static final boolean[] ASCII_WORD = new boolean[128];

  static {
    for (char c = 0; c < 128; c++) {
      ASCII_WORD[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ';' || c == '#'
          || c == '+' || c == '-' || c == '\'';
    }
  }

  private static boolean isWordChar(char c) {
    return c < 128 ? ASCII_WORD[c] : Character.isLetterOrDigit(c);
  }

  private static boolean isQuote(char c) {
    return c == '"' || c == '“' || c == '”' || c == '«' || c == '»' || c == '„' || c == '「' || c == '」';
  }

  /** Returns where the instruction ends: a colon before a line break, a blank line, or 300 characters. */
  private static int instructionEnd(char[] text) {
    int limit = Math.min(text.length, 300);
    for (int i = 0; i < limit; i++) {
      char c = text[i];
      if (c == '\n' && i > 0 && (text[i - 1] == ':' || i + 1 < text.length && text[i + 1] == '\n')) {
        return i;
      }
    }
    return limit;
  }

  /**
   * Reads the shape of the whole text in one pass: code has braces, semicolons, operators,
   * fences, stack traces and indentation that prose does not; a prompt that hands over material
   * — a passage after the instruction, or a quotation — asks for work on it (summarize,
   * classify, extract, translate), rarely for small talk; "EN→DE" names a language pair; and a
   * few words of Chinese, Japanese and Korean name a task.
   */
  private static void shapes(String text, char[] cs, int head, double[] score) {
    int n = cs.length;
    int symbols = 0;
    int lines = 1;
    int indented = 0;
    int quotes = 0;
    int markers = 0;
    boolean fence = false;
    boolean ascii = true;
    boolean pairHint = false;
    for (int i = 0; i < n; i++) {
      char c = cs[i];
      switch (c) {
        case '{': case '}': case ';': case ')': case '[': case ']': case '<':
          symbols++;
          break;
        case '(':
          symbols++;
          markers += text.startsWith(");", i + 1) ? 1 : 0;
          break;
        case '=':
          symbols++;
          markers += i + 1 < n && cs[i + 1] == '>' ? 1 : 0;
          break;
        case '>':
          symbols++;
          pairHint |= i < 80;
          break;
        case ':':
          markers += i + 1 < n && cs[i + 1] == ':' ? 1 : 0;
          break;
        case '`':
          fence |= text.startsWith("```", i);
          break;
        case '$':
          markers += i + 1 < n && cs[i + 1] == ' ' ? 1 : 0;
          break;
        case 'T':
          markers += text.startsWith("Traceback (", i) ? 1 : 0;
          break;
        case 'E':
          markers += i + 1 < n && cs[i + 1] == 'x' && text.startsWith("Exception", i) ? 1 : 0;
          break;
        case 'e':
          markers += i + 5 < n && cs[i + 5] == ':' && text.startsWith("error:", i) ? 1 : 0;
          break;
        case '\t':
          markers += text.startsWith("\tat ", i) ? 1 : 0;
          break;
        case '\n':
          lines++;
          if (i + 2 < n && (cs[i + 1] == ' ' && cs[i + 2] == ' ' || cs[i + 1] == '\t')) {
            indented++;
          }
          break;
        case '2':
          pairHint |= i < 80;
          break;
        case '"':
          quotes++;
          break;
        default:
          if (c > 127) {
            ascii = false;
            quotes += isQuote(c) ? 1 : 0;
            pairHint |= c == '→' && i < 80;
          }
          break;
      }
    }
    if (fence) {
      score[T_CODE] += 5;
    }
    if (markers > 0) {
      score[T_CODE] += 3;
    }
    double density = (double) symbols / Math.max(1, n);
    if (density > 0.04 && symbols >= 6) {
      score[T_CODE] += 5;
    } else if (density > 0.02 && symbols >= 4) {
      score[T_CODE] += 2;
    }
    if (lines > 3 && indented * 2 >= lines) {
      score[T_CODE] += 3;
    }
    int passage = n - head;
    if (passage > 400) {
      score[T_CHAT] -= 3;
      score[T_SUM] += 2;
    } else if (passage > 80 || quotes >= 2) {
      score[T_CHAT] -= 2;
    }
    if ((pairHint || containsTo(text)) && LANGUAGE_PAIR.matcher(text.substring(0, Math.min(n, 80)).toLowerCase(Locale.ROOT)).find()) {
      score[T_TRA] += 10; // "EN→DE:", "fr to en"
    }
    if (!ascii) {
      if (text.contains("翻訳") || text.contains("翻译") || text.contains("訳して") || text.contains("で何と")
          || text.contains("用英语") || text.contains("번역")) {
        score[T_TRA] += 12;
      }
      if (text.contains("要約") || text.contains("まとめ") || text.contains("总结") || text.contains("摘要") || text.contains("概括")) {
        score[T_SUM] += 12;
      }
      if (text.contains("分類") || text.contains("分类") || text.contains("感情") || text.contains("情感")) {
        score[T_CLS] += 12;
      }
      if (text.contains("抽出") || text.contains("提取") || text.contains("取り出")) {
        score[T_EXT] += 12;
      }
      if (text.contains("コード") || text.contains("代码") || text.contains("関数") || text.contains("函数")) {
        score[T_CODE] += 8;
      }
    }
  }

  /** Returns whether the first 80 characters hold " to " (as in "fr to en"). */
  private static boolean containsTo(String text) {
    int end = Math.min(text.length(), 80);
    for (int i = 0; i + 4 <= end; i++) {
      if (text.charAt(i) == ' ' && text.charAt(i + 3) == ' ' && text.regionMatches(true, i, " to ", 0, 4)) {
        return true;
      }
    }
    return false;
  }

  /** Returns the text to classify: the prompt, or the last user message and the system message. */
  private static String text(GenerateRequest request) {
    if (request.prompt().isPresent()) {
      return request.prompt().get();
    }
    List<ChatMessage> messages = request.messages();
    String system = "";
    String user = "";
    for (ChatMessage m : messages) {
      if (m.role() == ChatMessage.Role.SYSTEM) {
        system = m.content();
      } else if (m.role() == ChatMessage.Role.USER) {
        user = m.content();
      }
    }
    return system.isEmpty() ? user : user + "\n\n" + system;
  }

  @Override
  public String toString() {
    return "RuleBasedTaskClassifier";
  }
}
