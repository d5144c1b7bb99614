package dev.workloadidentity.spring.sample;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Shows the property {@code greeting}, which Spring Cloud Azure's Key Vault property source loaded from the secret
 * of that name at startup, signed in with the pod's workload identity. It is an ordinary property by the time
 * beans exist: no client, no credential here. {@code GET /greeting} returns it as text; it is also logged once
 * when the app is ready, with the property source it came from (a demo value, not a real secret).
 */
@RestController
class GreetingController {

    private static final Log logger = LogFactory.getLog(GreetingController.class);

    private final String greeting;

    private final String origin;

    GreetingController(ConfigurableEnvironment environment) {
        this.greeting = environment.getRequiredProperty("greeting");
        // The first source that has it wins: the Key Vault one, unless something ranked higher overrides it.
        this.origin = environment.getPropertySources()
            .stream()
            .filter((source) -> !ConfigurationPropertySources.isAttachedConfigurationPropertySource(source))
            .filter((source) -> source.containsProperty("greeting"))
            .findFirst()
            .map(PropertySource::getName)
            .orElse("unknown");
    }

    @GetMapping("/greeting")
    String greeting() {
        return this.greeting;
    }

    @EventListener(ApplicationReadyEvent.class)
    void logGreeting() {
        logger.info("Property 'greeting' from property source '" + this.origin + "': '" + this.greeting + "'");
    }

}
