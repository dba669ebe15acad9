package io.modelmux.internal.route;

import io.modelmux.RouteConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Which routes lead to which, through their targets and shadows: the one check that no route
 * leads back to itself, shared by the YAML reader (which names the line) and the router (which
 * checks routes built in code).
 */
public final class RouteGraph {
  private RouteGraph() {}

  /**
   * Returns a cycle among {@code routes}: the names along it, ending with the one it began
   * with ({@code [a, b, a]}); or null when there is none. Each route is visited once.
   */
  public static @Nullable List<String> cycle(Collection<RouteConfig> routes) {
    Map<String, RouteConfig> byName = new LinkedHashMap<>();
    routes.forEach(r -> byName.put(r.name(), r));
    Map<String, Boolean> done = new HashMap<>(); // false: on the current path, true: finished
    for (String start : byName.keySet()) {
      List<String> found = visit(start, byName, done, new ArrayList<>());
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  private static @Nullable List<String> visit(
      String name, Map<String, RouteConfig> routes, Map<String, Boolean> done, List<String> path) {
    Boolean state = done.get(name);
    if (state != null) {
      if (state) {
        return null;
      }
      List<String> loop = new ArrayList<>(path.subList(path.indexOf(name), path.size()));
      loop.add(name);
      return loop;
    }
    done.put(name, false);
    path.add(name);
    RouteConfig c = routes.get(name);
    List<String> next = new ArrayList<>(c.targets());
    c.shadow().ifPresent(sh -> next.add(sh.model()));
    for (String t : next) {
      if (routes.containsKey(t)) {
        List<String> found = visit(t, routes, done, path);
        if (found != null) {
          return found;
        }
      }
    }
    path.remove(path.size() - 1);
    done.put(name, true);
    return null;
  }
}
