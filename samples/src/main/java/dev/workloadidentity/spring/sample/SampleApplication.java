package dev.workloadidentity.spring.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot app that talks to Key Vault, Blob Storage and Service Bus with the pod's workload identity and
 * nothing else: no secret, no connection string, no credential code.
 */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }

}
