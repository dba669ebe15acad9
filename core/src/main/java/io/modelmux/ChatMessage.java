package io.modelmux;

import java.util.Objects;

/**
 * One message of a chat conversation.
 *
 * @param role who speaks; not null
 * @param content what is said; not null (may be empty)
 */
public record ChatMessage(Role role, String content) {
  /** Who speaks a chat message. */
  public enum Role {
    /** Instructions that frame the conversation. */
    SYSTEM,
    /** The user's words. */
    USER,
    /** The model's earlier answers. */
    ASSISTANT
  }

  /** Checks the arguments. */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  /** Returns a system message. */
  public static ChatMessage system(String content) {
    return new ChatMessage(Role.SYSTEM, content);
  }

  /** Returns a user message. */
  public static ChatMessage user(String content) {
    return new ChatMessage(Role.USER, content);
  }

  /** Returns an assistant message. */
  public static ChatMessage assistant(String content) {
    return new ChatMessage(Role.ASSISTANT, content);
  }
}
