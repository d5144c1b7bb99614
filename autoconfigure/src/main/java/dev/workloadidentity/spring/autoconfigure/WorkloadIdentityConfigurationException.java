package dev.workloadidentity.spring.autoconfigure;

import java.util.HashSet;
import java.util.Set;

import dev.workloadidentity.spring.diagnostics.Diagnosis;
import org.jspecify.annotations.Nullable;

/**
 * Workload identity is switched on but cannot work as configured. Carries what is wrong and what to change, which
 * {@link WorkloadIdentityFailureAnalyzer} turns into Spring Boot's startup failure report.
 */
public class WorkloadIdentityConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Diagnosis diagnosis;

    public WorkloadIdentityConfigurationException(Diagnosis diagnosis) {
        super(diagnosis.reason());
        this.diagnosis = diagnosis;
    }

    /**
     * @param failure a failure
     * @return the first of these in its cause chain or attached to one of its causes as a suppressed exception (as
     * done for Key Vault property sources that fail to load at startup), or {@code null}
     */
    public static @Nullable WorkloadIdentityConfigurationException find(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable current = failure; current != null && seen.add(current); current = current.getCause()) {
            if (current instanceof WorkloadIdentityConfigurationException found) {
                return found;
            }
            for (Throwable suppressed : current.getSuppressed()) {
                if (suppressed instanceof WorkloadIdentityConfigurationException found) {
                    return found;
                }
            }
        }
        return null;
    }

    /** @return what is wrong, why and what to change */
    public Diagnosis getDiagnosis() {
        return this.diagnosis;
    }

}
