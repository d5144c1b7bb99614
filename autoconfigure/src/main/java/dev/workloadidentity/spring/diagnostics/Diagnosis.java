package dev.workloadidentity.spring.diagnostics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A recognized problem with what was found filled in: one sentence on the cause, one on the fix, and the facts an
 * operator or Azure support needs (AADSTS code, correlation ID, the federated token's claims). Never a token.
 *
 * @param problem what kind of problem
 * @param code the problem's code; for an Entra error the starter does not explain, Entra's own AADSTS code
 * @param reason the cause, filled in
 * @param action the fix, filled in
 * @param details further facts, in the order they are best read
 */
public record Diagnosis(Problem problem, String code, String reason, String action, Map<String, Object> details) {

    public Diagnosis {
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /**
     * @param problem the problem
     * @param values what was found, by placeholder name (see {@link Problem})
     * @return the problem's diagnosis with no further details
     */
    public static Diagnosis of(Problem problem, Map<String, ?> values) {
        return new Diagnosis(problem, problem.code(), problem.cause(values), problem.action(values), Map.of());
    }

    /**
     * @param details facts to add
     * @return this diagnosis with the facts added
     */
    Diagnosis with(Map<String, ?> details) {
        Map<String, Object> merged = new LinkedHashMap<>(this.details);
        details.forEach((key, value) -> {
            if (value != null) {
                merged.put(key, value);
            }
        });
        return new Diagnosis(this.problem, this.code, this.reason, this.action, merged);
    }

    /**
     * @param activity what failed, e.g. "Key Vault property source kv (https://kv.vault.azure.net/)"
     * @return this diagnosis with the reason saying what it stopped
     */
    public Diagnosis during(String activity) {
        return new Diagnosis(this.problem, this.code, activity + ": " + this.reason, this.action, this.details);
    }

    Diagnosis withCode(String code) {
        return new Diagnosis(this.problem, code, this.reason, this.action, this.details);
    }

    /** @return the diagnosis as one log line, with the correlation ID Azure support asks for when there is one */
    public String describe() {
        Object correlationId = this.details.get("correlationId");
        return this.reason + " Action: " + this.action + " [" + this.code
                + ((correlationId != null) ? ", correlation ID " + correlationId : "") + "]";
    }

}
