package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What users see in their IDE: every key of the starter, each with a description. */
class ConfigurationMetadataTests {

    @Test
    void metadataListsEveryKeyWithADescription() throws IOException {
        List<Map<String, Object>> properties;
        try (InputStream metadata = metadataOf(WorkloadIdentityProperties.class)) {
            properties = JsonPath.read(metadata, "$.properties[*]");
        }
        assertThat(properties).extracting((property) -> property.get("name"))
            .containsExactlyInAnyOrder("workload-identity.enabled", "workload-identity.client-id",
                    "workload-identity.tenant-id", "workload-identity.token-file",
                    "workload-identity.authority-host", "workload-identity.instance-discovery",
                    "workload-identity.strict", "workload-identity.identities",
                    "workload-identity.health.scope", "workload-identity.health.timeout",
                    "workload-identity.key-vault.startup-timeout",
                    "management.health.workload-identity.enabled");
        assertThat(properties).allSatisfy((property) -> assertThat((String) property.get("description"))
            .as("description of %s", property.get("name"))
            .isNotBlank()
            .doesNotStartWith("The "));
    }

    /** The metadata in the jar (or directory) a class comes from, not the first one on the classpath. */
    static InputStream metadataOf(Class<?> type) throws IOException {
        URL location = type.getProtectionDomain().getCodeSource().getLocation();
        URL metadata = location.getPath().endsWith(".jar")
                ? URI.create("jar:" + location + "!/META-INF/spring-configuration-metadata.json").toURL()
                : URI.create(location + "META-INF/spring-configuration-metadata.json").toURL();
        return metadata.openStream();
    }

}
