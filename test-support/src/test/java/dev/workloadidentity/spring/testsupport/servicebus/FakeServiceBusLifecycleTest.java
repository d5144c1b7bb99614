package dev.workloadidentity.spring.testsupport.servicebus;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.TimeUnit;

import com.azure.core.amqp.AmqpRetryOptions;
import com.azure.core.credential.AccessToken;
import com.azure.messaging.servicebus.ServiceBusClientBuilder;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FakeServiceBusLifecycleTest {

    private static final String NAMESPACE = "fake-ns.servicebus.windows.net";

    private static FakeAzureTls tls;

    @BeforeAll
    static void trustFakeAzure() {
        tls = FakeAzureTls.jvmDefault();
    }

    @Test
    void listensOnLoopbackAndCloseDoesNotWaitLongForASilentPeer() throws IOException {
        FakeServiceBus fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, (token) -> {
        });
        try (Socket silent = new Socket("127.0.0.1", fake.port())) {
            assertThat(silent.isConnected()).isTrue();
            assertThat(fake.customEndpointAddress()).isEqualTo("https://127.0.0.1:" + fake.port());
            assertThat(fake.fullyQualifiedNamespace()).isEqualTo(NAMESPACE);
            long start = System.nanoTime();

            fake.close();

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
            assertThat(reactorThreadAlive(fake.port())).isFalse();
        }
    }

    @Test
    void closeStopsTheReactorThreadAndFreesThePort() {
        FakeServiceBus fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, (token) -> {
        });
        int port = fake.port();
        assertThat(reactorThreadAlive(port)).isTrue();

        fake.close();
        fake.close(); // idempotent

        assertThat(reactorThreadAlive(port)).isFalse();
        assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> new Socket("127.0.0.1", port).close());
    }

    @Test
    void closeEndsConnectionsOfClientsStillOpen() {
        FakeServiceBus fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, (token) -> {
        });
        try (ServiceBusSenderClient sender = new ServiceBusClientBuilder()
            .credential(NAMESPACE, (request) -> Mono.just(new AccessToken("t", OffsetDateTime.now().plusHours(1))))
            .customEndpointAddress(fake.customEndpointAddress())
            .retryOptions(new AmqpRetryOptions().setMaxRetries(0).setTryTimeout(Duration.ofSeconds(5)))
            .sender()
            .queueName("orders")
            .buildClient()) {
            sender.sendMessage(new ServiceBusMessage("still connected"));
            long start = System.nanoTime();

            fake.close();

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            assertThat(reactorThreadAlive(fake.port())).isFalse();
        }
    }

    @Test
    void namespaceMustBeAHostName() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new FakeServiceBus(tls.serverContext(), "sb://fake-ns.servicebus.windows.net/",
                    (token) -> {
                    }));
    }

    private static boolean reactorThreadAlive(int port) {
        return Thread.getAllStackTraces()
            .keySet()
            .stream()
            .anyMatch((thread) -> thread.getName().equals("fake-servicebus-" + port) && thread.isAlive());
    }

}
