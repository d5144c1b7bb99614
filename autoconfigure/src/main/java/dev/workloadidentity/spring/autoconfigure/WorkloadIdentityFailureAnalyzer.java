package dev.workloadidentity.spring.autoconfigure;

import dev.workloadidentity.spring.diagnostics.Diagnosis;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a workload identity configuration error as a Description / Action pair instead of a stack trace. */
class WorkloadIdentityFailureAnalyzer extends AbstractFailureAnalyzer<WorkloadIdentityConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, WorkloadIdentityConfigurationException cause) {
        Diagnosis diagnosis = cause.getDiagnosis();
        return new FailureAnalysis(diagnosis.reason(), diagnosis.action()
                + " To run without workload identity, set workload-identity.enabled=false. [" + diagnosis.code() + "]",
                cause);
    }

}
