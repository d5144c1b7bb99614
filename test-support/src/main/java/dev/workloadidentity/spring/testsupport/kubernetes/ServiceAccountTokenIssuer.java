package dev.workloadidentity.spring.testsupport.kubernetes;

import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.workloadidentity.spring.testsupport.token.Jwt;
import dev.workloadidentity.spring.testsupport.token.JwtClaims;
import org.jspecify.annotations.Nullable;

/**
 * Plays an AKS cluster's OIDC issuer together with the kubelet: owns the service-account signing key and mints
 * the projected service-account token the workload-identity webhook mounts, with the claims the kubelet sets.
 * <p>
 * {@link #token(String, String)} also mints deliberately wrong tokens (another audience, subject or issuer,
 * expired, not yet valid, signed by a key nobody trusts) for negative tests.
 */
public final class ServiceAccountTokenIssuer {

    /** The audience the workload-identity webhook asks the kubelet for. */
    public static final String AZURE_AD_TOKEN_EXCHANGE = "api://AzureADTokenExchange";

    /** The kubelet's default token lifetime ({@code expirationSeconds} 3600). */
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);

    private final String issuerUrl;

    private final KeyPair keyPair;

    private final String keyId;

    private final Clock clock;

    private final Map<String, String> serviceAccountUids = new ConcurrentHashMap<>();

    /**
     * An issuer with a fresh key pair.
     * @param issuerUrl the {@code iss} claim; AKS issuer URLs end with a slash
     * @param clock the clock tokens are minted against
     */
    public ServiceAccountTokenIssuer(String issuerUrl, Clock clock) {
        this.issuerUrl = issuerUrl;
        this.keyPair = Jwt.generateKeyPair();
        this.keyId = keyId(this.keyPair.getPublic());
        this.clock = clock;
    }

    /**
     * An issuer with a fresh key pair on the system clock.
     * @param issuerUrl the {@code iss} claim; AKS issuer URLs end with a slash
     */
    public ServiceAccountTokenIssuer(String issuerUrl) {
        this(issuerUrl, Clock.systemUTC());
    }

    /**
     * An issuer whose URL looks like an AKS cluster's: {@code https://oidc.fake-aks.local/<tenant>/<guid>/}.
     * @param tenantId the tenant the cluster lives in
     * @return the issuer
     */
    public static ServiceAccountTokenIssuer forTenant(String tenantId) {
        return new ServiceAccountTokenIssuer("https://oidc.fake-aks.local/" + tenantId + "/" + UUID.randomUUID() + "/");
    }

    /** @return the {@code iss} of every token this issuer mints, as a federated identity credential names it */
    public String issuerUrl() {
        return this.issuerUrl;
    }

    /** @return the key Entra fetches from this issuer's JWKS to verify its tokens */
    public PublicKey publicKey() {
        return this.keyPair.getPublic();
    }

    /** @return the {@code kid} of the signing key, as the JWKS would list it */
    public String keyId() {
        return this.keyId;
    }

    /**
     * Mints a valid token as the kubelet projects it.
     * @param namespace the pod's namespace
     * @param serviceAccount the pod's service account
     * @return the compact JWT
     */
    public String mint(String namespace, String serviceAccount) {
        return token(namespace, serviceAccount).mint();
    }

    /**
     * Starts a token for a pod running as the service account; change what you need, then {@link TokenBuilder#mint()}.
     * @param namespace the pod's namespace
     * @param serviceAccount the pod's service account
     * @return a builder with the kubelet's defaults
     */
    public TokenBuilder token(String namespace, String serviceAccount) {
        return new TokenBuilder(namespace, serviceAccount);
    }

    /**
     * @param namespace a namespace
     * @param serviceAccount a service account in it
     * @return the {@code sub} the kubelet writes: {@code system:serviceaccount:<ns>:<sa>}
     */
    public static String subject(String namespace, String serviceAccount) {
        return "system:serviceaccount:" + namespace + ":" + serviceAccount;
    }

    private static String keyId(PublicKey key) {
        // What the API server does: base64url(SHA-256(DER of the public key)).
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** One token to mint; defaults are what the kubelet writes for the pod. */
    public final class TokenBuilder {

        private final String namespace;

        private final String serviceAccount;

        private String issuer = ServiceAccountTokenIssuer.this.issuerUrl;

        private String subject;

        private List<String> audiences = List.of(AZURE_AD_TOKEN_EXCHANGE);

        private @Nullable Instant issuedAt;

        private Duration lifetime = DEFAULT_LIFETIME;

        private String podName;

        private PrivateKey signingKey = ServiceAccountTokenIssuer.this.keyPair.getPrivate();

        private @Nullable String keyId = ServiceAccountTokenIssuer.this.keyId;

        private TokenBuilder(String namespace, String serviceAccount) {
            this.namespace = namespace;
            this.serviceAccount = serviceAccount;
            this.subject = ServiceAccountTokenIssuer.subject(namespace, serviceAccount);
            this.podName = serviceAccount + "-" + UUID.randomUUID().toString().substring(0, 5);
        }

        /** Replaces {@code aud}, e.g. with the API server's audience a wrong token file would carry. */
        public TokenBuilder audience(String... audiences) {
            this.audiences = List.of(audiences);
            return this;
        }

        /** Replaces {@code sub}. */
        public TokenBuilder subject(String subject) {
            this.subject = subject;
            return this;
        }

        /** Replaces {@code iss}, e.g. another cluster's issuer. */
        public TokenBuilder issuer(String issuer) {
            this.issuer = issuer;
            return this;
        }

        /** Sets {@code iat} and {@code nbf} (default: now). */
        public TokenBuilder issuedAt(Instant issuedAt) {
            this.issuedAt = issuedAt;
            return this;
        }

        /** Sets {@code exp} − {@code iat} (default one hour). */
        public TokenBuilder lifetime(Duration lifetime) {
            this.lifetime = lifetime;
            return this;
        }

        /** Issued two hours ago with a one-hour lifetime: expired an hour ago. */
        public TokenBuilder expired() {
            return issuedAt(now().minus(Duration.ofHours(2))).lifetime(Duration.ofHours(1));
        }

        /** Issued (and so valid from) ten minutes in the future. */
        public TokenBuilder notYetValid() {
            return issuedAt(now().plus(Duration.ofMinutes(10)));
        }

        /** Sets the pod name in the {@code kubernetes.io} claim. */
        public TokenBuilder podName(String podName) {
            this.podName = podName;
            return this;
        }

        /** Signs with another key (its {@code kid} left unset), e.g. a key the cluster rotated away. */
        public TokenBuilder signedBy(PrivateKey signingKey) {
            this.signingKey = signingKey;
            this.keyId = null;
            return this;
        }

        /** Signs with a fresh key that no JWKS publishes, but keeps this issuer's {@code kid}. */
        public TokenBuilder signedByUnknownKey() {
            this.signingKey = Jwt.generateKeyPair().getPrivate();
            return this;
        }

        /** @return the claims this builder would sign */
        public JwtClaims claims() {
            Instant iat = (this.issuedAt != null) ? this.issuedAt : now();
            Map<String, Object> pod = new LinkedHashMap<>();
            pod.put("name", this.podName);
            pod.put("uid", UUID.randomUUID().toString());
            Map<String, Object> serviceAccount = new LinkedHashMap<>();
            serviceAccount.put("name", this.serviceAccount);
            serviceAccount.put("uid", ServiceAccountTokenIssuer.this.serviceAccountUids
                .computeIfAbsent(this.namespace + "/" + this.serviceAccount, (key) -> UUID.randomUUID().toString()));
            Map<String, Object> kubernetes = new LinkedHashMap<>();
            kubernetes.put("namespace", this.namespace);
            kubernetes.put("pod", pod);
            kubernetes.put("serviceaccount", serviceAccount);
            return JwtClaims.builder()
                .audiences(this.audiences)
                .expiresAt(iat.plus(this.lifetime))
                .issuedAt(iat)
                .issuer(this.issuer)
                .claim("jti", UUID.randomUUID().toString())
                .claim("kubernetes.io", kubernetes)
                .notBefore(iat)
                .subject(this.subject)
                .build();
        }

        /** @return the signed compact JWT */
        public String mint() {
            return Jwt.sign(claims(), this.signingKey, this.keyId);
        }

        private Instant now() {
            return ServiceAccountTokenIssuer.this.clock.instant();
        }

    }

}
