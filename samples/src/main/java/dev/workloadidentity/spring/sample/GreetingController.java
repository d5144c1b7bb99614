package dev.workloadidentity.spring.sample;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Shows the property {@code greeting}, which Spring Cloud Azure's Key Vault property source loaded from the secret
 * of that name at startup, signed in with the pod's workload identity. It is an ordinary property by the time
 * beans exist: no client, no credential here. {@code GET /greeting} returns it as text; it is also logged once
 * when the app is ready (a demo value, not a real secret).
 */
@RestController
class GreetingController {

    private static final Log logger = LogFactory.getLog(GreetingController.class);

    private final String greeting;

    GreetingController(@Value("${greeting}") String greeting) {
        this.greeting = greeting;
    }

    @GetMapping("/greeting")
    String greeting() {
        return this.greeting;
    }

    @EventListener(ApplicationReadyEvent.class)
    void logGreeting() {
        logger.info("Property 'greeting' loaded from Key Vault at startup: '" + this.greeting + "'");
    }

}
