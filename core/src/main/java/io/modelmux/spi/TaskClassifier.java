package io.modelmux.spi;

import io.modelmux.GenerateRequest;
import java.util.Optional;

/**
 * Says what kind of task a request is, for automatic model selection: an {@code auto} route
 * sends the request to a model tagged with the task ({@code tags: [code]}). Found with {@link
 * java.util.ServiceLoader} ({@code META-INF/services/io.modelmux.spi.TaskClassifier}) or given
 * to the manager's builder; without either, a rule-based classifier knows {@value #CHAT},
 * {@value #CODE}, {@value #SUMMARIZATION}, {@value #CLASSIFICATION}, {@value #EXTRACTION} and
 * {@value #TRANSLATION}.
 *
 * <p>Implementations must be thread-safe and fast (they run on the request path: the built-in
 * one takes microseconds for a kilobyte of prompt) and must not throw; an exception is logged
 * and the request goes to the default model.
 */
public interface TaskClassifier {
  /** Conversation, questions, advice, creative writing. */
  String CHAT = "chat";
  /** Writing, fixing or explaining source code. */
  String CODE = "code";
  /** Condensing a given text. */
  String SUMMARIZATION = "summarization";
  /** Putting a given input into one of a set of labels. */
  String CLASSIFICATION = "classification";
  /** Pulling structured fields out of a given text. */
  String EXTRACTION = "extraction";
  /** Turning text from one human language into another. */
  String TRANSLATION = "translation";

  /**
   * Returns the task of {@code request}, as a tag models may carry, or empty when it cannot
   * tell.
   *
   * @param request the request; not null
   * @return the task
   */
  Optional<String> classify(GenerateRequest request);
}
