package dev.workloadidentity.spring.autoconfigure;

import dev.workloadidentity.spring.diagnostics.Diagnosis;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/** Reports a workload identity configuration error as a Description / Action pair instead of a stack trace. */
class WorkloadIdentityFailureAnalyzer implements FailureAnalyzer {

    @Override
    public @Nullable FailureAnalysis analyze(Throwable failure) {
        WorkloadIdentityConfigurationException cause = WorkloadIdentityConfigurationException.find(failure);
        if (cause == null) {
            return null;
        }
        // No "switch workload identity off" advice: on a pod, that would hand the clients to a broader identity.
        Diagnosis diagnosis = cause.getDiagnosis();
        return new FailureAnalysis(diagnosis.reason(), diagnosis.action() + " [" + diagnosis.code() + "]", cause);
    }

}
