package io.modelmux;

/**
 * Hears what routes do: traffic changes ({@link RouteEvent}) and the outcome of each shadow
 * call ({@link ShadowResult}). Called on the thread that caused the event; a listener should
 * return quickly, and one that throws is logged and does not break routing.
 */
public interface RouteEventListener {
  /** Receives a change of a route's traffic. */
  void onEvent(RouteEvent event);

  /** Receives the outcome of one shadow call. Ignored unless overridden. */
  default void onShadow(ShadowResult result) {}
}
