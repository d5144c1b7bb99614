package dev.workloadidentity.spring.endtoend;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.security.keyvault.secrets.SecretAsyncClient;
import com.azure.security.keyvault.secrets.SecretClient;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * Fault suite: the application context closes while token requests wait on a stalled Entra (the fake answers
 * after 30 s). Closing does not wait for Entra, every waiting caller is released with a failure, no thread of the
 * starter ({@code workload-identity-*}) outlives the context, no non-daemon thread is left behind, and the fakes
 * release their ports and threads when closed.
 */
@ExtendWith(OutputCaptureExtension.class)
class ShutdownIT {

    private static final Duration ENTRA_STALL = Duration.ofSeconds(30);

    private static final String MANAGEMENT_SCOPE = "https://management.azure.com/.default";

    private static final String STORAGE_SCOPE = "https://storage.azure.com/.default";

    @AfterEach
    void nothingSecretInTheOutput(CapturedOutput output) {
        NothingSecretShown.in(output);
    }

    @Test
    void contextClosesWhileTokenRequestsAreInFlightAndLeavesNoThreadsOrServersBehind() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        ExecutorService callers = Executors.newCachedThreadPool((task) -> {
            Thread thread = new Thread(task, "shutdown-it-caller");
            thread.setDaemon(true);
            return thread;
        });
        Map<String, Future<Object>> calls = new LinkedHashMap<>();
        AtomicLong closing = new AtomicLong();
        List<Integer> ports = new ArrayList<>();
        try (FakeAzure azure = FakeAzure.builder().keyVault().start()) {
            ports.add(azure.entra().port());
            ports.add(azure.keyVault().port());
            azure.keyVault().setSecret("greeting", "hello");
            azure.entra().answerDelay(ENTRA_STALL);
            ClientsOnFakeAzure.runner(azure)
                // One attempt per call: a released caller should show at once, not after the client's retries.
                .withPropertyValues("spring.cloud.azure.retry.mode=exponential",
                        "spring.cloud.azure.retry.exponential.max-retries=0")
                .run((context) -> {
                    TokenCredential credential = context.getBean(TokenCredential.class);
                    Map<String, Callable<Object>> paths = new LinkedHashMap<>();
                    paths.put("credential sync",
                            () -> credential.getTokenSync(new TokenRequestContext().addScopes(MANAGEMENT_SCOPE)));
                    paths.put("credential async",
                            () -> credential.getToken(new TokenRequestContext().addScopes(STORAGE_SCOPE)).block());
                    paths.put("SecretClient", () -> context.getBean(SecretClient.class).getSecret("greeting"));
                    paths.put("SecretAsyncClient",
                            () -> context.getBean(SecretAsyncClient.class).getSecret("greeting").block());
                    paths.forEach((name, path) -> calls.put(name, callers.submit(path)));
                    // Management, Storage and Key Vault (both Key Vault clients share one token request).
                    await().atMost(Duration.ofSeconds(20)).until(() -> azure.entra().pendingTokenRequests() == 3);
                    closing.set(System.nanoTime());
                });
            long closeNanos = System.nanoTime() - closing.get();
            int stillWaitingAtEntra = azure.entra().pendingTokenRequests();
            long slowestRelease = 0;
            for (Map.Entry<String, Future<Object>> call : calls.entrySet()) {
                Throwable failure = catchThrowable(() -> call.getValue().get(10, TimeUnit.SECONDS));
                slowestRelease = Math.max(slowestRelease, System.nanoTime() - closing.get());
                assertThat(failure).as("%s released with a failure after close", call.getKey())
                    .isInstanceOf(ExecutionException.class)
                    .hasStackTraceContaining("The workload identity credential is closed");
            }
            String starterThreadsLeft = awaitNone(ShutdownIT::starterThreads);
            // The fakes' JDK HTTP servers run non-daemon dispatcher threads until the fakes close (checked below).
            String nonDaemonThreadsLeft = awaitNone(() -> newNonDaemonThreads(before).stream()
                .filter((thread) -> !thread.getName().equals("HTTP-Dispatcher"))
                .toList());
            System.out.printf("FAULT shutdown: 3 token requests in flight, context closed in %d ms, %d callers "
                    + "released within %d ms (\"credential is closed\"), %d requests abandoned at the stalled Entra, "
                    + "workload-identity-* threads left: [%s], new non-daemon threads left: [%s]%n",
                    TimeUnit.NANOSECONDS.toMillis(closeNanos), calls.size(),
                    TimeUnit.NANOSECONDS.toMillis(slowestRelease),
                    stillWaitingAtEntra, starterThreadsLeft, nonDaemonThreadsLeft);
            assertThat(Duration.ofNanos(closeNanos)).as("time to close the context")
                .isLessThan(ENTRA_STALL.dividedBy(3));
            assertThat(starterThreadsLeft).as("the starter's threads after close").isEmpty();
            assertThat(nonDaemonThreadsLeft).as("non-daemon threads started since the test began").isEmpty();
        }
        finally {
            callers.shutdownNow();
        }
        for (int port : ports) {
            assertThat(accepts(port)).as("port %d after the fakes closed", port).isFalse();
        }
        assertThat(awaitNone(() -> Thread.getAllStackTraces()
            .keySet()
            .stream()
            .filter((thread) -> thread.getName().startsWith("fake-") || !thread.isDaemon() && !before.contains(thread))
            .toList())).as("the fakes' threads and non-daemon threads after the fakes closed").isEmpty();
    }

    /** @return the names of the threads still alive when none was left or 10 s passed, empty when none is */
    private static String awaitNone(Supplier<List<Thread>> threads) {
        try {
            // In this thread: Awaitility's own polling thread is not a daemon.
            await().pollInSameThread().atMost(Duration.ofSeconds(10)).until(() -> threads.get().isEmpty());
        }
        catch (ConditionTimeoutException ex) {
            // reported by the caller
        }
        return threadNames(threads.get());
    }

    private static List<Thread> starterThreads() {
        return Thread.getAllStackTraces()
            .keySet()
            .stream()
            .filter((thread) -> thread.getName().startsWith("workload-identity-"))
            .toList();
    }

    private static List<Thread> newNonDaemonThreads(Set<Thread> before) {
        return Thread.getAllStackTraces()
            .keySet()
            .stream()
            .filter((thread) -> !thread.isDaemon() && thread.isAlive() && !before.contains(thread))
            .toList();
    }

    private static String threadNames(List<Thread> threads) {
        return threads.stream().map(Thread::getName).sorted().collect(Collectors.joining(", "));
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        }
        catch (IOException ex) {
            return false;
        }
    }

}
