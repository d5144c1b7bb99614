package dev.workloadidentity.spring.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a workload identity configuration error as a Description / Action pair instead of a stack trace. */
class WorkloadIdentityFailureAnalyzer extends AbstractFailureAnalyzer<WorkloadIdentityConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, WorkloadIdentityConfigurationException cause) {
        return new FailureAnalysis(cause.getMessage(),
                cause.getDiagnosis().action() + " To run without workload identity, set workload-identity.enabled=false."
                        + " [" + cause.getDiagnosis().code() + "]",
                cause);
    }

}
