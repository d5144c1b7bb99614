package dev.workloadidentity.spring.benchmarks;

import java.util.ArrayList;
import java.util.List;

/** The markdown table every benchmark adds its rows to, with numbered notes below it. */
final class Table {

    static final String NOT_APPLICABLE = "—";

    private static final List<String> HEADER = List.of("#", "Measurement", "With the starter",
            "Spring Cloud Azure default (`DefaultAzureCredential`)",
            "Spring Cloud Azure, `managed-identity-enabled=true`", "Limit / goal", "Starter ÷ default");

    private final List<List<String>> rows = new ArrayList<>();

    private final List<String> notes = new ArrayList<>();

    /**
     * @param id the row's number, e.g. {@code 2b}
     * @param measurement what the row measures
     * @param starter with the starter
     * @param scaDefault Spring Cloud Azure's {@code DefaultAzureCredential}
     * @param scaManagedIdentity Spring Cloud Azure with {@code managed-identity-enabled}
     * @param limit the limit or goal
     * @param ratio starter ÷ default
     */
    void row(String id, String measurement, String starter, String scaDefault, String scaManagedIdentity,
            String limit, String ratio) {
        this.rows.add(List.of(id, measurement, starter, scaDefault, scaManagedIdentity, limit, ratio));
    }

    /** @return the note's number, for a {@code [n]} reference */
    int note(String text) {
        this.notes.add(text);
        return this.notes.size();
    }

    String markdown() {
        StringBuilder out = new StringBuilder();
        line(out, HEADER);
        List<String> separator = new ArrayList<>();
        for (int i = 0; i < HEADER.size(); i++) {
            separator.add("---");
        }
        line(out, separator);
        for (List<String> row : this.rows) {
            line(out, row);
        }
        if (!this.notes.isEmpty()) {
            out.append('\n');
            for (int i = 0; i < this.notes.size(); i++) {
                out.append(i + 1).append(". ").append(this.notes.get(i)).append('\n');
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, List<String> cells) {
        out.append('|');
        for (String cell : cells) {
            out.append(' ').append(cell.replace("|", "\\|")).append(" |");
        }
        out.append('\n');
    }

}
