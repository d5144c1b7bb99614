package dev.workloadidentity.spring.diagnostics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's troubleshooting table is the {@link Problem} catalog, row for row. When this fails, replace the
 * table between the README's {@code troubleshooting} markers with {@code autoconfigure/target/troubleshooting.md}.
 */
class TroubleshootingTableTests {

    private static final Path README = Path.of("..", "README.md");

    private static final String START = "<!-- troubleshooting:start (the Problem catalog; checked by "
            + "TroubleshootingTableTests) -->";

    private static final String END = "<!-- troubleshooting:end -->";

    @Test
    void readmeTableMatchesTheCatalog() throws IOException {
        String expected = render();
        Files.writeString(Path.of("target", "troubleshooting.md"), expected);
        String readme = Files.readString(README);
        assertThat(readme).contains(START).contains(END);
        String table = readme.substring(readme.indexOf(START) + START.length(), readme.indexOf(END)).strip() + "\n";
        assertThat(table).as("README troubleshooting table; the expected one is in target/troubleshooting.md")
            .isEqualTo(expected);
    }

    @Test
    void everyProblemHasACodeACauseAndAFix() {
        for (Problem problem : Problem.values()) {
            assertThat(problem.code()).isNotBlank();
            assertThat(problem.cause(Map.of())).isNotBlank().doesNotContain("{");
            assertThat(problem.action(Map.of())).endsWith(".").doesNotContain("{");
            assertThat(problem.shown()).isNotEmpty();
        }
        assertThat(Problem.values()).extracting(Problem::code).doesNotHaveDuplicates();
    }

    static String render() {
        String rows = Arrays.stream(Problem.values())
            .map((problem) -> "| `" + problem.code() + "`: " + where(problem) + " | "
                    + markdown(problem.cause(Map.of())) + " | " + markdown(problem.action(Map.of())) + " |")
            .collect(Collectors.joining("\n"));
        return "| Symptom | Cause | Fix |\n|---|---|---|\n" + rows + "\n";
    }

    private static String where(Problem problem) {
        return problem.shown().stream().map((shown) -> switch (shown) {
            case STARTUP -> "startup fails";
            case WARNING -> "startup warning";
            case OUT_OF_SERVICE -> "health OUT_OF_SERVICE";
            case DOWN -> "health DOWN";
        }).collect(Collectors.joining(", "));
    }

    private static String markdown(String text) {
        return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|");
    }

}
