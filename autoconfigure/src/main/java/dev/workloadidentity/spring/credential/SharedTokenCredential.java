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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

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
 * Tokens are renewed ahead of expiry in the background (5 minutes ahead, or halfway through the life of a
 * shorter-lived token), so callers keep getting the current token during a rollover instead of waiting for Entra.
 * A resource nobody asked for during a token's whole life is not renewed again until someone asks. When a renewal
 * fails, the current token is still served until shortly before it expires and the renewal is retried with
 * exponential backoff, or after the wait Entra asks for with {@code Retry-After} if that is longer;
 * {@link #lastFailure} tells health checks. A caller without a usable token during the backoff gets the last
 * failure instead of starting another request, so an Entra outage never turns into a request storm.
 * <p>
 * The delegate runs on this credential's own {@link TokenThreads}. Its synchronous path is used because
 * azure-identity's asynchronous path keeps replaying a first failure to read the token file.
 */
public final class SharedTokenCredential implements TokenCredential, AutoCloseable {

    /** How long before expiry a token is renewed; Azure SDK clients renew theirs 5 minutes ahead too. */
    static final Duration REFRESH_AHEAD = Duration.ofMinutes(5);

    /** How long before expiry a token stops being served, as it may reach the service late or meet clock skew. */
    static final Duration EXPIRY_MARGIN = Duration.ofMinutes(1);

    static final Duration FIRST_RETRY = Duration.ofSeconds(1);

    static final Duration LONGEST_RETRY = Duration.ofSeconds(30);

    private static final int THREADS = 4;

    private final TokenCredential delegate;

    private final @Nullable String homeTenantId;

    private final TokenFailureExplainer explainer;

    private final Clock clock;

    private final ScheduledThreadPoolExecutor executor;

    private final Map<Resource, Slot> slots = new ConcurrentHashMap<>();

    /**
     * @param delegate the credential that asks Entra
     */
    public SharedTokenCredential(TokenCredential delegate) {
        this(delegate, null);
    }

    /**
     * @param delegate the credential that asks Entra
     * @param homeTenantId the delegate's tenant: requests naming it (as Key Vault clients do, from the vault's
     * challenge) share the token of requests naming no tenant
     */
    public SharedTokenCredential(TokenCredential delegate, @Nullable String homeTenantId) {
        this(delegate, homeTenantId, TokenFailureExplainer.AS_IS);
    }

    /**
     * @param delegate the credential that asks Entra
     * @param homeTenantId the delegate's tenant, see {@link #SharedTokenCredential(TokenCredential, String)}
     * @param explainer turns the delegate's failures into what callers get
     */
    public SharedTokenCredential(TokenCredential delegate, @Nullable String homeTenantId,
            TokenFailureExplainer explainer) {
        this(delegate, homeTenantId, explainer, Clock.systemUTC());
    }

    SharedTokenCredential(TokenCredential delegate, @Nullable String homeTenantId, Clock clock) {
        this(delegate, homeTenantId, TokenFailureExplainer.AS_IS, clock);
    }

    SharedTokenCredential(TokenCredential delegate, @Nullable String homeTenantId, TokenFailureExplainer explainer,
            Clock clock) {
        this.delegate = delegate;
        this.homeTenantId = homeTenantId;
        this.explainer = explainer;
        this.clock = clock;
        this.executor = new ScheduledThreadPoolExecutor(THREADS, new TokenThreads("workload-identity-token-"));
        this.executor.setKeepAliveTime(60, TimeUnit.SECONDS);
        this.executor.allowCoreThreadTimeOut(true);
        this.executor.setRemoveOnCancelPolicy(true);
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

    /**
     * @param request the resource (scopes and tenant)
     * @return why the last request to Entra for that resource failed, or {@code null} if it succeeded or none was
     * made; a failed renewal shows here while the previous token is still being served
     */
    public @Nullable Throwable lastFailure(TokenRequestContext request) {
        Slot slot = this.slots.get(resource(request));
        return (slot != null) ? slot.lastFailure() : null;
    }

    /**
     * Stops the token threads and renewals; a request in flight is interrupted and its waiting callers fail with
     * an {@link IllegalStateException} saying the credential is closed, as later callers without a usable token do.
     */
    @Override
    public void close() {
        this.executor.shutdownNow();
    }

    private @Nullable AccessToken cached(TokenRequestContext request) {
        if (request.getClaims() != null) {
            return null;
        }
        Slot slot = this.slots.get(resource(request));
        return (slot != null) ? slot.serve(this.clock.instant()) : null;
    }

    private Resource resource(TokenRequestContext request) {
        String tenantId = request.getTenantId();
        boolean home = tenantId == null || tenantId.equalsIgnoreCase(this.homeTenantId);
        return new Resource(List.copyOf(request.getScopes()), home ? null : tenantId);
    }

    private CompletableFuture<AccessToken> acquire(TokenRequestContext request) {
        Resource resource = resource(request);
        Slot slot = this.slots.computeIfAbsent(resource, Slot::new);
        return slot.acquire(request.getClaims(), this.clock.instant());
    }

    private AccessToken fetch(Resource resource, @Nullable String claims) {
        TokenRequestContext cae = new TokenRequestContext().setScopes(resource.scopes())
            .setTenantId(resource.tenantId())
            .setClaims(claims)
            .setCaeEnabled(true);
        return this.delegate.getTokenSync(cae);
    }

    private static IllegalStateException closed(Throwable cause) {
        return new IllegalStateException("The workload identity credential is closed", cause);
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

    /** What a token is for: scopes in the order asked and the tenant, if the caller named another than home. */
    private record Resource(List<String> scopes, @Nullable String tenantId) {
    }

    /** A token and when to renew it and to stop serving it. */
    private record Current(AccessToken token, Instant refreshAt, Instant stopServingAt) {
    }

    /**
     * The current token for one resource, its renewal schedule and the request to Entra in flight, if any. Serving
     * the current token takes no lock: it is one volatile read, so callers never queue behind each other.
     */
    private final class Slot {

        private final Resource resource;

        private volatile @Nullable Current current;

        /** Whether anyone asked for the resource since the last background renewal, which keeps renewals going. */
        private volatile boolean asked;

        private @Nullable CompletableFuture<AccessToken> inFlight;

        private @Nullable Throwable lastFailure;

        private int failuresInARow;

        private Instant retryAt = Instant.MIN;

        private @Nullable ScheduledFuture<?> renewal;

        Slot(Resource resource) {
            this.resource = resource;
        }

        synchronized boolean isAcquiring() {
            return this.inFlight != null;
        }

        synchronized @Nullable Throwable lastFailure() {
            return this.lastFailure;
        }

        /** The current token while it may be served; starts its renewal when that is due. */
        @Nullable AccessToken serve(Instant now) {
            Current current = this.current;
            if (current == null || !now.isBefore(current.stopServingAt())) {
                return null;
            }
            if (!this.asked) {
                this.asked = true;
            }
            if (!now.isBefore(current.refreshAt())) {
                renewIfDue(now);
            }
            return current.token();
        }

        synchronized CompletableFuture<AccessToken> acquire(@Nullable String claims, Instant now) {
            if (claims != null) {
                // A claims challenge always gets a new token, and nobody else should wait for its answer.
                return fly(claims, false);
            }
            AccessToken usable = serve(now);
            if (usable != null) {
                return CompletableFuture.completedFuture(usable);
            }
            this.asked = true;
            if (this.inFlight != null) {
                return this.inFlight;
            }
            Throwable failure = this.lastFailure;
            if (failure != null && now.isBefore(this.retryAt)) {
                return CompletableFuture.failedFuture(new TokenRequestBackoffException(this.failuresInARow,
                        this.retryAt, failure));
            }
            return fly(null, true);
        }

        /** Runs on the token threads when a renewal or its retry is due. */
        synchronized void renewalDue() {
            Current current = this.current;
            if (!this.asked || current == null) {
                return;
            }
            Instant now = SharedTokenCredential.this.clock.instant();
            Instant due = current.refreshAt().isAfter(this.retryAt) ? current.refreshAt() : this.retryAt;
            if (now.isBefore(due)) {
                // Timers run on the monotonic clock and may fire a little before the wall clock says.
                schedule(due, now);
                return;
            }
            renewIfDue(now);
        }

        private synchronized void renewIfDue(Instant now) {
            Current current = this.current;
            if (this.inFlight == null && current != null && !now.isBefore(current.refreshAt())
                    && !now.isBefore(this.retryAt)) {
                this.asked = false;
                fly(null, true);
            }
        }

        private CompletableFuture<AccessToken> fly(@Nullable String claims, boolean shared) {
            CompletableFuture<AccessToken> flight = new CompletableFuture<>();
            try {
                SharedTokenCredential.this.executor.execute(() -> {
                    try {
                        AccessToken token = fetch(this.resource, claims);
                        landed(flight, token);
                        flight.complete(token);
                    }
                    catch (Throwable ex) {
                        if (SharedTokenCredential.this.executor.isShutdown()) {
                            // Closing interrupted it: tell its callers why, rather than "interrupted", and start no
                            // backoff, so later callers are told the same.
                            abandoned(flight);
                            flight.completeExceptionally(closed(ex));
                            return;
                        }
                        Throwable explained = explain(ex);
                        failed(flight, explained);
                        flight.completeExceptionally(explained);
                    }
                });
            }
            catch (RejectedExecutionException ex) {
                flight.completeExceptionally(closed(ex));
                return flight;
            }
            if (shared) {
                this.inFlight = flight;
            }
            return flight;
        }

        private Throwable explain(Throwable failure) {
            try {
                TokenRequestContext request = new TokenRequestContext().setScopes(this.resource.scopes())
                    .setTenantId(this.resource.tenantId());
                return SharedTokenCredential.this.explainer.explain(failure, request);
            }
            catch (RuntimeException ex) {
                // An explanation must never cost the failure itself.
                failure.addSuppressed(ex);
                return failure;
            }
        }

        private synchronized void landed(CompletableFuture<AccessToken> flight, AccessToken token) {
            if (this.inFlight == flight) {
                this.inFlight = null;
            }
            Instant now = SharedTokenCredential.this.clock.instant();
            Current current = new Current(token, refreshAt(token, now), stopServingAt(token, now));
            this.current = current;
            this.lastFailure = null;
            this.failuresInARow = 0;
            this.retryAt = Instant.MIN;
            schedule(current.refreshAt(), now);
        }

        private synchronized void abandoned(CompletableFuture<AccessToken> flight) {
            if (this.inFlight == flight) {
                this.inFlight = null;
            }
        }

        private synchronized void failed(CompletableFuture<AccessToken> flight, Throwable failure) {
            if (this.inFlight != flight) {
                return;
            }
            this.inFlight = null;
            Instant now = SharedTokenCredential.this.clock.instant();
            this.lastFailure = failure;
            this.failuresInARow++;
            Duration delay = retryDelay(this.failuresInARow);
            Duration asked = RetryAfter.of(failure, now);
            this.retryAt = now.plus((asked != null && asked.compareTo(delay) > 0) ? asked : delay);
            Current current = this.current;
            if (current != null && now.isBefore(current.stopServingAt())) {
                // A renewal failed while the current token still serves: keep trying in the background, the last
                // time just as it stops being served.
                if (this.retryAt.isAfter(current.stopServingAt())) {
                    this.retryAt = current.stopServingAt();
                }
                this.asked = true;
                schedule(this.retryAt, now);
            }
        }

        private void schedule(Instant at, Instant now) {
            if (this.renewal != null) {
                this.renewal.cancel(false);
            }
            try {
                this.renewal = SharedTokenCredential.this.executor.schedule(this::renewalDue,
                        Math.max(1, Duration.between(now, at).toMillis()), TimeUnit.MILLISECONDS);
            }
            catch (RejectedExecutionException ex) {
                // Closed: nothing is renewed any more.
            }
        }

    }

    /** Renews a token 5 minutes before it expires, or halfway through its life when it lives shorter. */
    static Instant refreshAt(AccessToken token, Instant acquiredAt) {
        Instant expiresAt = token.getExpiresAt().toInstant();
        Duration lifetime = Duration.between(acquiredAt, expiresAt);
        Duration ahead = (lifetime.compareTo(REFRESH_AHEAD.multipliedBy(2)) < 0) ? lifetime.dividedBy(2)
                : REFRESH_AHEAD;
        Instant refresh = expiresAt.minus(ahead);
        // MSAL reports a refresh time of 1970 when Entra sent no refresh_in (the usual case): only a later one counts.
        OffsetDateTime asked = token.getRefreshAt();
        boolean meant = asked != null && asked.toInstant().isAfter(acquiredAt);
        return (meant && asked.toInstant().isBefore(refresh)) ? asked.toInstant() : refresh;
    }

    /** Serves a token until a minute before it expires, or for nine tenths of its life when it lives shorter. */
    static Instant stopServingAt(AccessToken token, Instant acquiredAt) {
        Instant expiresAt = token.getExpiresAt().toInstant();
        Duration lifetime = Duration.between(acquiredAt, expiresAt);
        Duration margin = (lifetime.compareTo(EXPIRY_MARGIN.multipliedBy(10)) < 0) ? lifetime.dividedBy(10)
                : EXPIRY_MARGIN;
        return expiresAt.minus(margin);
    }

    /** 1 s after the first failure, doubling up to 30 s. */
    static Duration retryDelay(int failuresInARow) {
        int doublings = Math.min(failuresInARow - 1, 5);
        Duration delay = FIRST_RETRY.multipliedBy(1L << doublings);
        return (delay.compareTo(LONGEST_RETRY) < 0) ? delay : LONGEST_RETRY;
    }

}
