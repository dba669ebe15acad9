package io.modelmux;

/**
 * Receives {@link ModelEvent}s. Called on the thread that caused the event, outside any lock of
 * the scheduler; it must be quick and must not throw (a throwing listener is logged).
 */
@FunctionalInterface
public interface ModelEventListener {
  /**
   * Receives one event.
   *
   * @param event the event; not null
   */
  void onEvent(ModelEvent event);
}
