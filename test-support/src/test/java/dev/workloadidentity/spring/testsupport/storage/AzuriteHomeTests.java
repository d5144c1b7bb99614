package dev.workloadidentity.spring.testsupport.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class AzuriteHomeTests {

    private String configured;

    @BeforeEach
    void saveProperty() {
        this.configured = System.getProperty(Azurite.HOME_PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        if (this.configured != null) {
            System.setProperty(Azurite.HOME_PROPERTY, this.configured);
        }
        else {
            System.clearProperty(Azurite.HOME_PROPERTY);
        }
    }

    @Test
    void buildConfiguredHomeHasAzuriteInstalled() {
        assertThat(this.configured).as("set by the parent pom's Surefire configuration").isNotBlank();
        assertThat(Azurite.home().resolve("node_modules/.bin/azurite-blob")).isRegularFile();
    }

    @Test
    void missingInstallNamesTheFix(@TempDir Path directory) throws IOException {
        Files.writeString(directory.resolve("package.json"), "{}");
        System.setProperty(Azurite.HOME_PROPERTY, directory.toString());

        assertThatIllegalStateException().isThrownBy(Azurite::home)
            .withMessageContaining("Azurite is not installed in " + directory)
            .withMessageContaining("npm ci")
            .withMessageContaining("Node.js 20+");
    }

    @Test
    void withoutThePropertyItSearchesUpFromTheWorkingDirectory() {
        System.clearProperty(Azurite.HOME_PROPERTY);

        assertThat(Azurite.home()).endsWith(Path.of("test-support", "azurite"));
    }

}
