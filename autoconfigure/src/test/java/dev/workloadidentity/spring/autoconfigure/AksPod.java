package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Path;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** An application with the starter alone, on a pod as the AKS webhook sets it up: a token file and the IDs. */
final class AksPod {

    static final String CLIENT_ID = "00000000-0000-0000-0000-00000000c11e";

    static final String TENANT_ID = "00000000-0000-0000-0000-0000000007e1";

    private AksPod() {
    }

    /**
     * @param directory where the projected token file is written
     * @return a runner for the application
     */
    static ApplicationContextRunner runner(Path directory) throws IOException {
        Path tokenFile = TokenFiles.write(directory.resolve("azure-identity-token"));
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class))
            .withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + tokenFile, "AZURE_CLIENT_ID=" + CLIENT_ID,
                    "AZURE_TENANT_ID=" + TENANT_ID);
    }

}
