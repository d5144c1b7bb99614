package dev.workloadidentity.spring.credential;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Serves every caller of one identity from one token per resource: Key Vault, Storage and Service Bus clients,
 * health checks and application code.
 * <p>
 * Concurrent callers that find no usable token wait for one request to Entra instead of sending one each
 * ({@code WorkloadIdentityCredential} itself sends one per caller). Tokens are always requested with continuous
 * access evaluation (CAE), which SDK clients ask for, and served to callers that did not ask for it too, so a
 * resource costs one token whoever asks. A caller that brings a claims challenge gets a new token, which then
 * replaces the cached one for everybody.
 * <p>
 * The delegate runs on this credential's own platform threads: not the common pool and not virtual threads,
 * both of which have deadlocked token acquisition in the field. Its synchronous path is used because
 * azure-identity's asynchronous path keeps replaying a first failure to read the token file.
 */
public final class SharedTokenCredential implements TokenCredential, AutoCloseable {

    /** How long before expiry a token stops being served; Azure SDK clients refresh 5 minutes ahead too. */
    static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);

    private static final int THREADS = 4;

    private final TokenCredential delegate;

    private final Clock clock;

    private final ExecutorService executor;

    private final Map<Resource, Slot> slots = new ConcurrentHashMap<>();

    /**
     * @param delegate the credential that asks Entra
     */
    public SharedTokenCredential(TokenCredential delegate) {
        this(delegate, Clock.systemUTC());
    }

    SharedTokenCredential(TokenCredential delegate, Clock clock) {
        this.delegate = delegate;
        this.clock = clock;
        ThreadPoolExecutor executor = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new TokenThreads());
        executor.allowCoreThreadTimeOut(true);
        this.executor = executor;
    }

    /** @return the credential that asks Entra */
    public TokenCredential getDelegate() {
        return this.delegate;
    }

    @Override
    public Mono<AccessToken> getToken(TokenRequestContext request) {
        return Mono.defer(() -> {
            AccessToken cached = cached(request);
            return (cached != null) ? Mono.just(cached) : Mono.fromFuture(acquire(request), true);
        });
    }

    @Override
    public AccessToken getTokenSync(TokenRequestContext request) {
        AccessToken cached = cached(request);
        return (cached != null) ? cached : await(acquire(request));
    }

    /** @return whether a request to Entra is under way, for any resource */
    public boolean isAcquiring() {
        return this.slots.values().stream().anyMatch(Slot::isAcquiring);
    }

    /** Stops the token threads; a request in flight fails its waiting callers. */
    @Override
    public void close() {
        this.executor.shutdownNow();
    }

    private @Nullable AccessToken cached(TokenRequestContext request) {
        if (request.getClaims() != null) {
            return null;
        }
        Slot slot = this.slots.get(Resource.of(request));
        return (slot != null) ? slot.usable(this.clock.instant()) : null;
    }

    private CompletableFuture<AccessToken> acquire(TokenRequestContext request) {
        Slot slot = this.slots.computeIfAbsent(Resource.of(request), (resource) -> new Slot());
        return slot.acquire(request, this.clock.instant());
    }

    private AccessToken fetch(TokenRequestContext request) {
        TokenRequestContext cae = new TokenRequestContext().setScopes(request.getScopes())
            .setTenantId(request.getTenantId())
            .setClaims(request.getClaims())
            .setCaeEnabled(true);
        return this.delegate.getTokenSync(cae);
    }

    private static AccessToken await(CompletableFuture<AccessToken> token) {
        try {
            return token.get();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for a workload identity token", ex);
        }
        catch (ExecutionException ex) {
            Throwable cause = ex.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** What a token is for: scopes in the order asked and the tenant, if the caller named one. */
    private record Resource(List<String> scopes, @Nullable String tenantId) {

        static Resource of(TokenRequestContext request) {
            return new Resource(List.copyOf(request.getScopes()), request.getTenantId());
        }

    }

    /** The current token for one resource and the request to Entra in flight for it, if any. */
    private final class Slot {

        private @Nullable AccessToken token;

        private Instant stopServingAt = Instant.MIN;

        private @Nullable CompletableFuture<AccessToken> inFlight;

        synchronized boolean isAcquiring() {
            return this.inFlight != null;
        }

        synchronized @Nullable AccessToken usable(Instant now) {
            return (this.token != null && now.isBefore(this.stopServingAt)) ? this.token : null;
        }

        synchronized CompletableFuture<AccessToken> acquire(TokenRequestContext request, Instant now) {
            boolean challenged = request.getClaims() != null;
            AccessToken usable = challenged ? null : usable(now);
            if (usable != null) {
                return CompletableFuture.completedFuture(usable);
            }
            if (this.inFlight != null && !challenged) {
                return this.inFlight;
            }
            CompletableFuture<AccessToken> flight = new CompletableFuture<>();
            SharedTokenCredential.this.executor.execute(() -> fly(request, flight));
            if (!challenged) {
                this.inFlight = flight;
            }
            return flight;
        }

        private void fly(TokenRequestContext request, CompletableFuture<AccessToken> flight) {
            AccessToken token;
            try {
                token = fetch(request);
            }
            catch (Throwable ex) {
                landed(flight, null);
                flight.completeExceptionally(ex);
                return;
            }
            landed(flight, token);
            flight.complete(token);
        }

        private synchronized void landed(CompletableFuture<AccessToken> flight, @Nullable AccessToken token) {
            if (this.inFlight == flight) {
                this.inFlight = null;
            }
            if (token != null) {
                this.token = token;
                this.stopServingAt = stopServingAt(token, SharedTokenCredential.this.clock.instant());
            }
        }

    }

    /** Serves a token until 5 minutes before it expires, or halfway through its life when it lives shorter. */
    static Instant stopServingAt(AccessToken token, Instant acquiredAt) {
        Instant expiresAt = token.getExpiresAt().toInstant();
        Duration lifetime = Duration.between(acquiredAt, expiresAt);
        Duration margin = (lifetime.compareTo(REFRESH_MARGIN.multipliedBy(2)) < 0) ? lifetime.dividedBy(2)
                : REFRESH_MARGIN;
        Instant stop = expiresAt.minus(margin);
        // MSAL reports a refresh time of 1970 when Entra sent no refresh_in (the usual case): only a later one counts.
        OffsetDateTime refreshAt = token.getRefreshAt();
        boolean refreshAtMeant = refreshAt != null && refreshAt.toInstant().isAfter(acquiredAt);
        return (refreshAtMeant && refreshAt.toInstant().isBefore(stop)) ? refreshAt.toInstant() : stop;
    }

    /** Daemon platform threads, so a stuck token request never keeps the JVM alive. */
    private static final class TokenThreads implements ThreadFactory {

        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new Thread(task, "workload-identity-token-" + this.count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }

    }

}
