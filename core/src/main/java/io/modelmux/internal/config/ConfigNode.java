package io.modelmux.internal.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.modelmux.ConfigException;
import io.modelmux.ConfigLocation;
import io.modelmux.spi.MessageText;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One YAML value and where it was written: a map, a list or a scalar (text, number, boolean or
 * null). {@link #parse} builds the tree with Jackson's streaming YAML parser, rejecting duplicate
 * keys, aliases and further documents, and replacing {@code ${VAR}} in every text scalar.
 *
 * <p>A scalar that took a value from the environment remembers the variables' names, and
 * {@link #describe()} names them instead of showing the value: it may be a secret.
 */
final class ConfigNode {
  enum Kind {
    MAP,
    LIST,
    SCALAR
  }

  /** One key of a map: the key, where the key was written, and its value. */
  record Entry(String key, ConfigLocation keyLocation, ConfigNode value) {}

  private static final YAMLFactory YAML =
      YAMLFactory.builder().enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();
  private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final Kind kind;
  private final ConfigLocation location;
  private final Map<String, Entry> entries;
  private final List<ConfigNode> items;
  private final @Nullable Object value;
  private final @Nullable String text;
  private final List<String> variables;

  private ConfigNode(
      Kind kind,
      ConfigLocation location,
      Map<String, Entry> entries,
      List<ConfigNode> items,
      @Nullable Object value,
      @Nullable String text,
      List<String> variables) {
    this.kind = kind;
    this.location = location;
    this.entries = entries;
    this.items = items;
    this.value = value;
    this.text = text;
    this.variables = variables;
  }

  /**
   * Parses one YAML document.
   *
   * @param yaml the text
   * @param source the name used in locations
   * @param env a variable's value, or null when unset
   * @return the root, or null when the document is empty
   * @throws ConfigException on a syntax error, a duplicate key, an alias, a second document or
   *     an unset variable
   */
  static @Nullable ConfigNode parse(String yaml, String source, Function<String, String> env) {
    try (JsonParser parser = YAML.createParser(yaml)) {
      if (parser.nextToken() == null) {
        return null;
      }
      TreeBuilder builder = new TreeBuilder(parser, source, env);
      ConfigNode root = builder.value("");
      if (parser.nextToken() != null) {
        throw new ConfigException(
            "a second YAML document starts here; models.yaml holds one document: remove the"
                + " '---' line and merge the two",
            builder.here(),
            null,
            null,
            null);
      }
      return root;
    } catch (JsonProcessingException e) {
      throw syntaxError(e, source);
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read the YAML text: " + e.getMessage(), new ConfigLocation(source, 0, 0), null,
          null, e);
    }
  }

  /**
   * Turns a parser error into a located {@link ConfigException}. SnakeYAML's own message repeats
   * the offending line, which may hold a secret, so only its problem and context are kept.
   */
  @SuppressWarnings("deprecation") // Jackson's wrapper is the only way to the problem's mark
  private static ConfigException syntaxError(JsonProcessingException e, String source) {
    JsonLocation at = e.getLocation();
    ConfigLocation location =
        at == null
            ? new ConfigLocation(source, 0, 0)
            : new ConfigLocation(
                source, Math.max(0, at.getLineNr()), Math.max(0, at.getColumnNr()));
    String problem = e.getOriginalMessage();
    if (e instanceof com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException) {
      var marked = (com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException) e;
      problem = marked.getProblem();
      if (marked.getProblemMark() != null) {
        location =
            new ConfigLocation(
                source, marked.getProblemMark().getLine() + 1,
                marked.getProblemMark().getColumn() + 1);
      }
      if (marked.getContext() != null) {
        problem += " (" + marked.getContext();
        if (marked.getContextMark() != null) {
          problem +=
              " that starts at line " + (marked.getContextMark().getLine() + 1) + ", column "
                  + (marked.getContextMark().getColumn() + 1);
        }
        problem += ")";
      }
    }
    return new ConfigException("invalid YAML: " + problem, location, null, null, e);
  }

  Kind kind() {
    return kind;
  }

  /** Returns where the value starts (for a map, its first key; for a null, just after the key). */
  ConfigLocation location() {
    return location;
  }

  /** Returns whether this is a YAML null: {@code ~}, {@code null}, or nothing after the key. */
  boolean isNull() {
    return kind == Kind.SCALAR && value == null;
  }

  /** Returns a map's entries in the order written; empty for other kinds. */
  Map<String, Entry> entries() {
    return entries;
  }

  /** Returns a list's items; empty for other kinds. */
  List<ConfigNode> items() {
    return items;
  }

  /**
   * Returns a scalar's value: a String (after interpolation), Integer, Long, BigInteger, Double,
   * Boolean, or null.
   */
  @Nullable Object value() {
    return value;
  }

  /**
   * Returns a scalar's text: for strings the interpolated value, for numbers and booleans the
   * text as written ({@code 1.10}, not {@code 1.1}); null for null and for maps and lists.
   */
  @Nullable String text() {
    return text;
  }

  /** Returns whether the value came (in part) from the environment and must not be shown. */
  boolean fromEnvironment() {
    return !variables.isEmpty();
  }

  /**
   * Returns what this value is, for "expected ..., found ..." messages: "a map", "a list",
   * "nothing", "'text'", "42", or, for a value from the environment, the variables' names.
   */
  String describe() {
    switch (kind) {
      case MAP:
        return "a map";
      case LIST:
        return "a list";
      default:
        break;
    }
    if (value == null) {
      return "nothing";
    }
    if (fromEnvironment()) {
      StringBuilder sb = new StringBuilder("the value of ");
      for (int i = 0; i < variables.size(); i++) {
        sb.append(i == 0 ? "" : " and ").append("${").append(variables.get(i)).append('}');
      }
      return sb.append(" (not shown)").toString();
    }
    return value instanceof String ? MessageText.quote(text) : MessageText.clip(String.valueOf(text));
  }

  @Override
  public String toString() {
    return kind + "@" + location;
  }

  /** Reads the parser's tokens into nodes, keeping the key path for error messages. */
  private static final class TreeBuilder {
    private final JsonParser parser;
    private final String source;
    private final Function<String, String> env;

    TreeBuilder(JsonParser parser, String source, Function<String, String> env) {
      this.parser = parser;
      this.source = source;
      this.env = env;
    }

    ConfigLocation here() {
      JsonLocation l = parser.currentTokenLocation();
      return new ConfigLocation(source, Math.max(0, l.getLineNr()), Math.max(0, l.getColumnNr()));
    }

    /** Reads the value at the current token, leaving the parser on its last token. */
    ConfigNode value(String path) throws IOException {
      ConfigLocation at = here();
      JsonToken token = parser.currentToken();
      switch (token) {
        case START_OBJECT:
          return map(at, path);
        case START_ARRAY:
          List<ConfigNode> items = new ArrayList<>();
          while (parser.nextToken() != JsonToken.END_ARRAY) {
            items.add(value(path + "[" + items.size() + "]"));
          }
          return new ConfigNode(
              Kind.LIST, at, Map.of(), Collections.unmodifiableList(items), null, null, List.of());
        case VALUE_STRING:
          if (((YAMLParser) parser).isCurrentAlias()) {
            throw new ConfigException(
                "YAML aliases (*" + parser.getText() + ") are not supported; write the value out"
                    + " in full",
                at, path, null, null);
          }
          List<String> variables = new ArrayList<>();
          String text = interpolate(parser.getText(), at, path, variables);
          return scalar(at, text, text, List.copyOf(variables));
        case VALUE_NUMBER_INT:
          switch (parser.getNumberType()) {
            case INT:
              return scalar(at, parser.getIntValue(), parser.getText(), List.of());
            case LONG:
              return scalar(at, parser.getLongValue(), parser.getText(), List.of());
            default:
              return scalar(at, parser.getBigIntegerValue(), parser.getText(), List.of());
          }
        case VALUE_NUMBER_FLOAT:
          return scalar(at, parser.getDoubleValue(), parser.getText(), List.of());
        case VALUE_TRUE:
        case VALUE_FALSE:
          return scalar(at, token == JsonToken.VALUE_TRUE, parser.getText(), List.of());
        case VALUE_NULL:
          return scalar(at, null, null, List.of());
        default:
          throw new ConfigException(
              "this kind of YAML value (" + token + ") is not supported; write text, a number,"
                  + " true/false, a list or a map",
              at, path, null, null);
      }
    }

    private ConfigNode map(ConfigLocation at, String path) throws IOException {
      Map<String, Entry> entries = new LinkedHashMap<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        ConfigLocation keyAt = here();
        String keyPath = path.isEmpty() ? key : path + "." + key;
        Entry first = entries.get(key);
        if (first != null) {
          throw new ConfigException(
              "duplicate key '" + key + "' (first at line " + first.keyLocation().line()
                  + "); keep one of them",
              keyAt, keyPath, null, null);
        }
        parser.nextToken();
        entries.put(key, new Entry(key, keyAt, value(keyPath)));
      }
      return new ConfigNode(
          Kind.MAP, at, Collections.unmodifiableMap(entries), List.of(), null, null, List.of());
    }

    private static ConfigNode scalar(
        ConfigLocation at, @Nullable Object value, @Nullable String text, List<String> variables) {
      return new ConfigNode(Kind.SCALAR, at, Map.of(), List.of(), value, text, variables);
    }

    /**
     * Replaces <code>${NAME}</code> and <code>${NAME:-default}</code>; <code>$${</code> is a
     * literal <code>${</code>. Adds to {@code used} the names whose value came from the
     * environment.
     */
    private String interpolate(String raw, ConfigLocation at, String path, List<String> used) {
      if (raw.indexOf('$') < 0) {
        return raw;
      }
      StringBuilder out = new StringBuilder(raw.length());
      int i = 0;
      while (i < raw.length()) {
        if (raw.startsWith("$${", i)) {
          out.append("${");
          i += 3;
        } else if (raw.startsWith("${", i)) {
          int close = raw.indexOf('}', i + 2);
          if (close < 0) {
            throw new ConfigException(
                "'${' at character " + (i + 1) + " is not closed; write ${NAME} or"
                    + " ${NAME:-default}, or $${ for a literal ${",
                at, path, null, null);
          }
          String expression = raw.substring(i + 2, close);
          int dash = expression.indexOf(":-");
          String name = dash < 0 ? expression : expression.substring(0, dash);
          if (!VARIABLE.matcher(name).matches()) {
            throw new ConfigException(
                "'${" + expression + "}' does not name an environment variable (letters, digits"
                    + " and '_'); write ${NAME} or ${NAME:-default}, or $${ for a literal ${",
                at, path, null, null);
          }
          String value = env.apply(name);
          if (value == null || (dash >= 0 && value.isEmpty())) {
            if (dash < 0) {
              throw new ConfigException(
                  "environment variable " + name + " is not set; set it or write ${" + name
                      + ":-default}",
                  at, path, null, null);
            }
            out.append(expression, dash + 2, expression.length());
          } else {
            out.append(value);
            if (!used.contains(name)) {
              used.add(name);
            }
          }
          i = close + 1;
        } else {
          out.append(raw.charAt(i));
          i++;
        }
      }
      return out.toString();
    }
  }
}
