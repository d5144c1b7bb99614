package dev.workloadidentity.spring.autoconfigure;

/**
 * Workload identity is switched on but cannot work as configured. Carries what is wrong and what to change, which
 * {@link WorkloadIdentityFailureAnalyzer} turns into Spring Boot's startup failure report.
 */
public class WorkloadIdentityConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String action;

    public WorkloadIdentityConfigurationException(String description, String action) {
        super(description);
        this.action = action;
    }

    /** @return what the user should change */
    public String getAction() {
        return this.action;
    }

}
