// ModelMux in JShell. From the repository root, after building examples/target/modelmux.jar:
//
//   jshell --class-path examples/target/modelmux.jar examples/notebook.jsh
//
// Then keep going at the jshell> prompt with `models`.
import io.modelmux.*;
import java.nio.file.Path;

var models = MultiModelManager.builder().config(Path.of("examples/models.yaml")).build();

// One answer, greedy:
var r = models.generate(GenerateRequest.builder().prompt("ROMEO:\n").temperature(0).maxTokens(80).build());
System.out.println(r.text());
System.out.println(r);

// A stream, piece by piece, as a plain for loop:
try (var tokens = models.stream(GenerateRequest.of("tiny-lm@2", "JULIET:\n"))) {
    for (var piece : tokens) System.out.print(piece);
    System.out.println();
    System.out.println(tokens.response());
}

// What ModelMux holds:
models.models().forEach(System.out::println);

// When done: models.close();
