package dev.workloadidentity.spring.autoconfigure;

import dev.workloadidentity.spring.diagnostics.Diagnosis;

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

    /** @return what is wrong, why and what to change */
    public Diagnosis getDiagnosis() {
        return this.diagnosis;
    }

}
