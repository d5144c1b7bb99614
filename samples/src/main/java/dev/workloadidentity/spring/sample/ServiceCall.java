package dev.workloadidentity.spring.sample;

/**
 * The outcome of one call to an Azure service.
 *
 * @param service which service was called
 * @param ok whether the service accepted the call
 * @param detail what came back, or why it failed
 */
public record ServiceCall(String service, boolean ok, String detail) {

    static ServiceCall succeeded(String service, String detail) {
        return new ServiceCall(service, true, detail);
    }

    static ServiceCall failed(String service, Exception failure) {
        String message = (failure.getMessage() != null) ? failure.getMessage().lines().findFirst().orElse("") : "";
        return new ServiceCall(service, false, failure.getClass().getSimpleName() + ": " + message);
    }

}
