// ModelMux in JShell: a short tour of the Java API on the built-in tiny LM, offline, in seconds.
// Build the jar from the repository root (mvn -pl examples -am package -DskipTests), then, from
// examples/:
//
//   jshell --class-path target/modelmux.jar notebook.jsh
//
// notebook.ipynb holds the same cells for a Java kernel (IJava or JJava), and one more of its own
// before the first code cell: `%jars target/modelmux.jar`. Here a line `// %%` starts a code cell
// and `// %% [markdown]` a markdown cell, whose lines are `// ` comments; this header and the
// closing /exit belong to no cell. NotebookTest runs this file with jshell and checks what it
// prints, and fails when the notebook's cells differ from these.

// %% [markdown]
// # ModelMux: a tour of the Java API
//
// Build `examples/target/modelmux.jar` first, from the repository root:
// `mvn -pl examples -am package -DskipTests`. The paths below are relative to `examples/`.
//
// ## A manager from models.yaml
//
// `models.yaml` registers two versions of the tiny LM (a small transformer trained on
// Shakespeare, run in this JVM by DJL), an OpenAI-compatible server that is never contacted
// here, an alias and routes. Nothing is loaded until a request needs it.

// %%
import io.modelmux.*;
import java.nio.file.Path;
import java.util.List;

var models = MultiModelManager.builder().config(Path.of("models.yaml")).build();
models.models().forEach(m -> System.out.println(m.ref() + " " + m.type() + " " + m.state()));

// %% [markdown]
// ## One answer
//
// A request with no model goes to `default_model`. Temperature 0 makes the answer greedy, so it
// is the same every time, and deterministic requests are kept in the response cache.

// %%
var request = GenerateRequest.builder().prompt("ROMEO:\n").temperature(0).maxTokens(60).build();
var answer = models.generate(request);
System.out.println(answer.text());
System.out.println("served by " + answer.model() + ", " + answer.finishReason() + ", "
    + answer.usage().orElseThrow() + ", cost " + answer.cost().orElseThrow());

var again = models.generate(request);
System.out.println("again: same text " + again.text().equals(answer.text())
    + ", from the cache " + again.cached());

// %% [markdown]
// ## A stream
//
// `stream` returns the answer piece by piece as a blocking `Iterable`; closing it early cancels
// the generation. `response()` is the whole answer once the stream has ended.

// %%
var juliet = GenerateRequest.builder().model("tiny-lm@2").prompt("JULIET:\n").maxTokens(60).build();
try (var tokens = models.stream(juliet)) {
    for (var piece : tokens) {
        System.out.print(piece);
    }
    System.out.println();
    var streamed = tokens.response();
    System.out.println("streamed by " + streamed.model() + ", " + streamed.finishReason());
}

// %% [markdown]
// ## Aliases and routes
//
// A request may name an alias (`prod` is `tiny-lm@1`) or a route. The route `chat` splits its
// traffic 90/10 between the two versions; a routing key keeps one user on one version.
// Every response says how it was routed.

// %%
var prod = models.generate(GenerateRequest.builder().model("prod").prompt("KING:\n").maxTokens(20).build());
System.out.println("prod was served by " + prod.model());

for (var user : List.of("ada", "grace", "alan")) {
    var routed = models.generate(
        GenerateRequest.builder().model("chat").routingKey(user).prompt("NURSE:\n").maxTokens(20).build());
    System.out.println(user + " -> " + routed.model() + " (" + routed.routing().reason() + ")");
}

// %% [markdown]
// ## What ModelMux holds
//
// `models()` is a snapshot of every model: its state, its tier, the memory it takes and how it
// was measured. `pools()` shows the memory budget.

// %%
for (var m : models.models()) {
    System.out.printf("%-16s %-10s %-7s %6.1f MB %s%n",
        m.ref(), m.state(), m.tier(), m.bytes() / 1e6, m.memoryStats().source());
}
for (var pool : models.pools()) {
    System.out.printf("pool %s: %.1f MB used of %.1f MB%n",
        pool.name(), pool.usedBytes() / 1e6, pool.budgetBytes() / 1e6);
}

// %% [markdown]
// ## Metrics and cost
//
// `metrics()` adds how each model served (latency, tokens), the routes, the response cache and
// what the requests cost, against the prices of the reference model in `models.yaml`.

// %%
var metrics = models.metrics();
for (var m : metrics.models()) {
    if (m.requests() > 0) {
        var served = m.servingStats();
        System.out.println(m.ref() + ": " + m.requests() + " requests, " + served.outputTokens()
            + " tokens out, latency p50 " + served.latency().p50().toMillis() + " ms");
    }
}
for (var route : metrics.routes()) {
    System.out.println("route " + route.route() + ": " + route.requests() + " requests");
}
var cache = metrics.cache().orElseThrow();
System.out.println("cache: " + cache.hits() + " hits, " + cache.misses() + " misses");
var cost = metrics.cost();
System.out.printf("cost: %.8f in all, saving %.8f against %s%n",
    cost.total(), cost.saving(), cost.referenceModel().orElse("no reference"));

// %% [markdown]
// ## Close
//
// Closing waits for requests in flight, then unloads every model; the manager takes no more
// requests.

// %%
models.close();
System.out.println("closed");

/exit
