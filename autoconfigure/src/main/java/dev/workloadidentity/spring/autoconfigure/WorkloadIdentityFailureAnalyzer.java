package dev.workloadidentity.spring.autoconfigure;

import java.util.Map;

import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/**
 * Reports a workload identity configuration error as a Description / Action pair instead of a stack trace, and
 * Azure Identity's own refusal of an {@code http://} {@code AZURE_AUTHORITY_HOST}, which it throws while Spring
 * Cloud Azure's classes load, before the starter reads its settings.
 */
class WorkloadIdentityFailureAnalyzer implements FailureAnalyzer {

    static final String AZURE_IDENTITY_HTTPS_ONLY = "Authority host must use https scheme";

    private static final String AUTHORITY_HOST_VARIABLE = "AZURE_AUTHORITY_HOST";

    @Override
    public @Nullable FailureAnalysis analyze(Throwable failure) {
        WorkloadIdentityConfigurationException cause = WorkloadIdentityConfigurationException.find(failure);
        Diagnosis diagnosis = (cause != null) ? cause.getDiagnosis() : httpAuthorityRefusedByAzureIdentity(failure);
        if (diagnosis == null) {
            return null;
        }
        // No "switch workload identity off" advice: on a pod, that would hand the clients to a broader identity.
        return new FailureAnalysis(diagnosis.reason(), diagnosis.action() + " [" + diagnosis.code() + "]",
                (cause != null) ? cause : failure);
    }

    private static @Nullable Diagnosis httpAuthorityRefusedByAzureIdentity(Throwable failure) {
        for (Throwable current = failure; current != null; current = current.getCause()) {
            if (current instanceof IllegalArgumentException && current.getMessage() != null
                    && current.getMessage().startsWith(AZURE_IDENTITY_HTTPS_ONLY)) {
                // Azure Identity reads the variable, or the system property of the same name.
                String value = System.getProperty(AUTHORITY_HOST_VARIABLE, System.getenv(AUTHORITY_HOST_VARIABLE));
                return Diagnosis.of(Problem.AUTHORITY_HOST_NOT_HTTPS,
                        Map.of("authorityHostSetting", AUTHORITY_HOST_VARIABLE + "=" + value));
            }
        }
        return null;
    }

}
