package dev.workloadidentity.spring.health;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import dev.workloadidentity.spring.diagnostics.TokenFailure;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Reports whether the workload identity can get an access token: UP with the token's expiry, DOWN with the reason.
 * <p>
 * A check reuses the last token it got until that token is within five minutes of expiry, the point where the
 * credential itself would go back to Entra, so repeated checks cost a memory read and no Entra traffic. Past that
 * point it asks the credential, with a CAE request as Azure SDK clients make, so it shares their cache entry when
 * the scope is theirs. Concurrent checks join the one request in flight instead of starting their own, and no
 * check waits longer than the timeout: a silent token endpoint makes the check DOWN, while the request carries on
 * in the background and later checks join it; such a DOWN also shows why the previous request failed, if it did.
 * <p>
 * Details never include a token.
 */
public class WorkloadIdentityHealthIndicator extends AbstractHealthIndicator implements AutoCloseable {

    /** Azure Identity's own refresh offset: its cache stops serving a token this long before expiry. */
    private static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(5);

    private final TokenCredential credential;

    private final TokenRequestContext request;

    private final Duration timeout;

    private final Map<String, Object> identity;

    private final Clock clock;

    private final ExecutorService executor = Executors.newSingleThreadExecutor((task) -> {
        Thread thread = new Thread(task, "workload-identity-health");
        thread.setDaemon(true);
        return thread;
    });

    private @Nullable CompletableFuture<AccessToken> inFlight;

    private @Nullable AccessToken lastToken;

    private @Nullable Throwable lastFailure;

    /**
     * Creates an indicator.
     * @param credential the credential to check
     * @param scope the scope of the token to acquire, e.g. {@code https://management.azure.com/.default}
     * @param timeout longest time a check waits for the token
     * @param identity what to report about the identity (client ID, tenant, token file...); never secrets
     */
    public WorkloadIdentityHealthIndicator(TokenCredential credential, String scope, Duration timeout,
            Map<String, Object> identity) {
        this(credential, scope, timeout, identity, Clock.systemUTC());
    }

    WorkloadIdentityHealthIndicator(TokenCredential credential, String scope, Duration timeout,
            Map<String, Object> identity, Clock clock) {
        super("Workload identity health check failed");
        this.clock = clock;
        this.credential = credential;
        this.request = new TokenRequestContext().addScopes(scope).setCaeEnabled(true);
        this.timeout = timeout;
        this.identity = Map.copyOf(identity);
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetails(this.identity).withDetail("scope", this.request.getScopes().get(0));
        try {
            AccessToken token = acquire().get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
            builder.up().withDetail("accessTokenExpiresAt", token.getExpiresAt().toInstant().toString());
        }
        catch (TimeoutException ex) {
            builder.down().withDetail("reason", "No access token within " + this.timeout.toMillis()
                    + " ms; the token endpoint is slow or unreachable. The request goes on in the background.");
            Throwable previous = lastFailure();
            if (previous != null) {
                builder.withDetail("lastFailure", TokenFailure.of(previous).reason());
            }
        }
        catch (ExecutionException ex) {
            TokenFailure failure = TokenFailure.of(ex.getCause());
            builder.down().withDetail("reason", failure.reason());
            addIfPresent(builder, "error", failure.error());
            addIfPresent(builder, "httpStatus", failure.httpStatus());
            addIfPresent(builder, "correlationId", failure.correlationId());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            builder.unknown().withDetail("reason", "Interrupted while waiting for an access token.");
        }
    }

    /** The last token while it is fresh, else the request in flight, else a new request. */
    private synchronized CompletableFuture<AccessToken> acquire() {
        if (this.lastToken != null && this.clock.instant()
            .isBefore(this.lastToken.getExpiresAt().toInstant().minus(REFRESH_BEFORE_EXPIRY))) {
            return CompletableFuture.completedFuture(this.lastToken);
        }
        if (this.inFlight == null || this.inFlight.isDone()) {
            this.inFlight = CompletableFuture.supplyAsync(this::request, this.executor);
        }
        return this.inFlight;
    }

    /** Records the outcome before the future completes, so no later check can miss it. */
    private AccessToken request() {
        try {
            AccessToken token = this.credential.getTokenSync(this.request);
            synchronized (this) {
                this.lastToken = token;
                this.lastFailure = null;
            }
            return token;
        }
        catch (RuntimeException ex) {
            synchronized (this) {
                this.lastFailure = ex;
            }
            throw ex;
        }
    }

    private synchronized @Nullable Throwable lastFailure() {
        return this.lastFailure;
    }

    private static void addIfPresent(Health.Builder builder, String key, @Nullable Object value) {
        if (value != null) {
            builder.withDetail(key, value);
        }
    }

    /** Lets a request in flight finish on its daemon thread rather than interrupt it mid-call. */
    @Override
    public void close() {
        this.executor.shutdown();
    }

}
