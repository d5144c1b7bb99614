package dev.workloadidentity.spring.benchmarks.app;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.spring.cloud.core.customizer.AzureServiceClientBuilderCustomizer;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * An ordinary Spring Cloud Azure application: Key Vault, Blob and Service Bus clients configured by properties,
 * actuator health, no credential code. Whether the starter signs it in depends only on whether the starter is on
 * the classpath; the driver starts it both ways, with the AKS webhook's variables in the process environment.
 * <p>
 * It runs one workload ({@code benchmark.workload}), writes what it measured to {@code benchmark.results} and
 * exits. It also exits when its standard input closes, so it never outlives the driver.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class BenchmarkApplication {

    /**
     * The fake Entra lives on {@code https://127.0.0.1:<port>}, which Microsoft's instance discovery does not know:
     * without this, MSAL would look the authority up on {@code login.microsoftonline.com}. The starter's equivalent
     * is {@code workload-identity.instance-discovery=false}; this is the same setting for Spring Cloud Azure's own
     * {@code DefaultAzureCredential}, as a user of a private cloud would configure it.
     * @return the customizer
     */
    @Bean
    AzureServiceClientBuilderCustomizer<DefaultAzureCredentialBuilder> defaultCredentialWithoutInstanceDiscovery() {
        return DefaultAzureCredentialBuilder::disableInstanceDiscovery;
    }

    public static void main(String[] args) throws Exception {
        StartupTimes startup = new StartupTimes();
        exitWhenStandardInputCloses();
        SpringApplication application = new SpringApplication(BenchmarkApplication.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.addListeners(startup);
        int exitCode;
        try (ConfigurableApplicationContext context = application.run(args)) {
            Environment environment = context.getEnvironment();
            ResultWriter results = new ResultWriter(
                    Path.of(environment.getRequiredProperty("benchmark.results")));
            startup.writeTo(results);
            results.put("credential", Workloads.defaultCredentialType(context));
            Workloads.run(environment.getRequiredProperty("benchmark.workload"), context, results);
            results.save();
            exitCode = 0;
        }
        catch (Throwable ex) {
            ex.printStackTrace();
            exitCode = 1;
        }
        // Azure SDK clients leave non-daemon threads behind; the results are written, so stop here.
        System.exit(exitCode);
    }

    private static void exitWhenStandardInputCloses() {
        Thread watchdog = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() != -1) {
                    // the driver never writes; it closes the pipe when it stops
                }
            }
            catch (IOException ex) {
                // treated as closed
            }
            Runtime.getRuntime().halt(3);
        }, "benchmark-driver-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

}
