package dev.workloadidentity.spring.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;

/** What every benchmark needs: the fakes, the application launcher and the settings. */
record Run(FakeWorld world, Applications applications, Settings settings) {

    /**
     * The Spring properties of one application.
     * @param vault its Key Vault
     * @param name its name, also used for its queue and container
     * @param workload the workload it runs
     * @return the properties, to add the workload's own to
     */
    Map<String, String> properties(FakeKeyVault vault, String name, String workload) {
        Map<String, String> properties = new LinkedHashMap<>(this.world.springProperties(vault, name));
        properties.put("benchmark.workload", workload);
        properties.put("benchmark.secret-name", FakeWorld.SECRET_NAME);
        properties.put("benchmark.container-name", name);
        properties.put("benchmark.threads", Integer.toString(this.settings.threads()));
        return properties;
    }

}
