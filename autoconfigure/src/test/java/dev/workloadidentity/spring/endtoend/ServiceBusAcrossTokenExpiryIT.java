package dev.workloadidentity.spring.endtoend;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusReceivedMessage;
import com.azure.messaging.servicebus.ServiceBusReceiverClient;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.servicebus.FakeServiceBus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fault suite: a Service Bus sender and receiver stay open across three access-token lifetimes while messages flow;
 * the fake namespace refuses any link whose token has run out. Every message sent is received exactly once, and
 * the links' tokens are renewed on the CBS node from the shared credential's renewed tokens.
 * <p>
 * Access tokens live 6 s here. azure-core-amqp's {@code ActiveClientTokenManager} puts a link's token again after
 * {@code floor(floor(seconds left) * 0.9)} seconds: 54 minutes for Entra's usual hour. The shared credential serves
 * tokens with at least about half their life left (it renews them halfway through short lives, and MSAL rounds the
 * expiry down to the second), so 6 s tokens keep that interval at 1-4 s. Below about 2 s left it becomes 0, which
 * makes the token manager put tokens in a tight loop, so lifetimes of 3-4 s would test that artefact of the
 * formula rather than the starter.
 */
@ExtendWith(OutputCaptureExtension.class)
class ServiceBusAcrossTokenExpiryIT {

    private static final Duration ACCESS_TOKEN_LIFETIME = Duration.ofSeconds(6);

    private static final Duration RUN = ACCESS_TOKEN_LIFETIME.multipliedBy(3);

    private static final String SERVICE_BUS = "https://servicebus.azure.net";

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().serviceAccount("shop", "orders-api").serviceBus());

    @AfterEach
    void nothingSecretInTheOutput(CapturedOutput output) {
        NothingSecretShown.in(output);
    }

    @Test
    void messagesFlowExactlyOnceWhileTheLinksTokensAreRenewed() throws Exception {
        FakeAzure fake = azure.get();
        FakeEntra entra = fake.entra().accessTokenLifetime(ACCESS_TOKEN_LIFETIME);
        FakeServiceBus serviceBus = fake.serviceBus();
        List<String> sent = new CopyOnWriteArrayList<>();
        List<String> received = new CopyOnWriteArrayList<>();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        int putTokensBefore = serviceBus.acceptedPutTokens();
        int[] putTokensAtStart = new int[1];
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            ClientsOnFakeAzure.runner(fake).run((context) -> {
                ServiceBusSenderClient sender = context.getBean(ServiceBusSenderClient.class);
                ServiceBusReceiverClient receiver = context.getBean(ServiceBusReceiverClient.class);
                AtomicBoolean sending = new AtomicBoolean(true);
                AtomicBoolean receiving = new AtomicBoolean(true);
                // Open both links before the clock starts.
                send(sender, "m-0", sent);
                receiveSome(receiver, received);
                putTokensAtStart[0] = serviceBus.acceptedPutTokens();
                Instant end = Instant.now().plus(RUN);
                Future<?> sends = threads.submit(() -> {
                    for (int n = 1; sending.get() && Instant.now().isBefore(end); n++) {
                        try {
                            send(sender, "m-" + n, sent);
                        }
                        catch (RuntimeException ex) {
                            failures.add(ex);
                        }
                        Thread.sleep(150);
                    }
                    return null;
                });
                Future<?> receives = threads.submit(() -> {
                    while (receiving.get()) {
                        try {
                            receiveSome(receiver, received);
                        }
                        catch (RuntimeException ex) {
                            failures.add(ex);
                        }
                    }
                    return null;
                });
                sends.get(RUN.plusSeconds(30).toSeconds(), TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(20)).until(() -> received.size() >= sent.size());
                receiving.set(false);
                receives.get(30, TimeUnit.SECONDS);
            });
        }
        finally {
            threads.shutdownNow();
            entra.accessTokenLifetime(FakeEntra.DEFAULT_ACCESS_TOKEN_LIFETIME);
        }
        long tokenRequests = entra.tokenRequests()
            .stream()
            .filter((request) -> SERVICE_BUS.equals(request.resource()))
            .filter(TokenRequest::succeeded)
            .count();
        int renewedPutTokens = serviceBus.acceptedPutTokens() - putTokensAtStart[0];
        System.out.printf("FAULT service-bus-across-expiry: %d s with %d s tokens, %d messages sent, %d received, "
                + "%d send/receive failures, %d put-tokens accepted at start and %d renewals after, %d rejected, "
                + "%d links refused, %d Service Bus token requests%n", RUN.toSeconds(),
                ACCESS_TOKEN_LIFETIME.toSeconds(), sent.size(), received.size(), failures.size(),
                putTokensAtStart[0] - putTokensBefore, renewedPutTokens, serviceBus.rejectedPutTokens(),
                serviceBus.refusedLinks().size(), tokenRequests);
        assertThat(failures).as("send and receive failures").isEmpty();
        assertThat(received).as("received exactly once")
            .containsExactlyInAnyOrderElementsOf(sent)
            .doesNotHaveDuplicates();
        assertThat(serviceBus.refusedLinks()).as("links refused for want of a valid token").isEmpty();
        assertThat(serviceBus.rejectedPutTokens()).isZero();
        assertThat(serviceBus.activeMessageCount("orders")).isZero();
        // Each of the two links puts a new token every 1-4 s over the 18 s: well over one renewal per lifetime.
        assertThat(renewedPutTokens).as("put-tokens renewing the links").isGreaterThanOrEqualTo(2 * 3);
        assertThat(tokenRequests).as("Service Bus tokens from Entra, renewed halfway through their lives")
            .isBetween(RUN.dividedBy(ACCESS_TOKEN_LIFETIME), 3 * RUN.dividedBy(ACCESS_TOKEN_LIFETIME));
    }

    private static void send(ServiceBusSenderClient sender, String body, List<String> sent) {
        sender.sendMessage(new ServiceBusMessage(body).setMessageId(body));
        sent.add(body);
    }

    private static void receiveSome(ServiceBusReceiverClient receiver, List<String> received) {
        List<ServiceBusReceivedMessage> messages = new ArrayList<>();
        receiver.receiveMessages(20, Duration.ofMillis(500)).forEach(messages::add);
        for (ServiceBusReceivedMessage message : messages) {
            receiver.complete(message);
            received.add(message.getBody().toString());
        }
    }

}
