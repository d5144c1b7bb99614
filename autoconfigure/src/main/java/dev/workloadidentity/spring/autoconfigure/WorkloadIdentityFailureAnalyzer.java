package dev.workloadidentity.spring.autoconfigure;

import dev.workloadidentity.spring.diagnostics.Diagnosis;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/** Reports a workload identity configuration error as a Description / Action pair instead of a stack trace. */
class WorkloadIdentityFailureAnalyzer implements FailureAnalyzer {

    private static final String SWITCH_OFF = "WORKLOADIDENTITY_ENABLED=false";

    @Override
    public @Nullable FailureAnalysis analyze(Throwable failure) {
        WorkloadIdentityConfigurationException cause = WorkloadIdentityConfigurationException.find(failure);
        if (cause == null) {
            return null;
        }
        Diagnosis diagnosis = cause.getDiagnosis();
        // The variable, not the property: Key Vault property sources need workload identity before config files.
        String switchOff = diagnosis.action().contains(SWITCH_OFF) ? ""
                : " To run without workload identity, set " + SWITCH_OFF + ".";
        return new FailureAnalysis(diagnosis.reason(),
                diagnosis.action() + switchOff + " [" + diagnosis.code() + "]", cause);
    }

}
