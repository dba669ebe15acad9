package io.modelmux.internal.route;

import io.modelmux.RouteEvent;
import io.modelmux.RouteEventListener;
import io.modelmux.ShadowResult;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tells route listeners what happened; a listener that throws is logged and skipped. Thread-safe. */
public final class RouteEvents {
  private static final Logger log = LoggerFactory.getLogger(RouteEvents.class);

  private final List<RouteEventListener> listeners;

  /** @param listeners the listeners, in the order they hear */
  public RouteEvents(List<RouteEventListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  /** Tells the listeners of {@code event}. */
  public void publish(RouteEvent event) {
    for (RouteEventListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("route listener {} threw from onEvent", l, e);
      }
    }
  }

  /** Tells the listeners the outcome of one shadow call. */
  public void shadow(ShadowResult result) {
    for (RouteEventListener l : listeners) {
      try {
        l.onShadow(result);
      } catch (RuntimeException e) {
        log.warn("route listener {} threw from onShadow", l, e);
      }
    }
  }
}
