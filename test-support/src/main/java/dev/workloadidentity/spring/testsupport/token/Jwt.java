package dev.workloadidentity.spring.testsupport.token;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.workloadidentity.spring.testsupport.json.Json;
import org.jspecify.annotations.Nullable;

/**
 * A compact JWS with the RS256 algorithm, the only one Entra and Kubernetes use here: sign, decode without
 * checking, and verify against an RSA public key. Error messages name what is wrong, never the token.
 */
public final class Jwt {

    /** The JWS algorithm every token here uses: RSASSA-PKCS1-v1_5 with SHA-256. */
    public static final String RS256 = "RS256";

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private final Map<String, Object> header;

    private final JwtClaims claims;

    private Jwt(Map<String, Object> header, JwtClaims claims) {
        this.header = Collections.unmodifiableMap(header);
        this.claims = claims;
    }

    /** @return a fresh 2048-bit RSA key pair, the size AKS and Entra sign with */
    public static KeyPair generateKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Signs claims with RS256.
     * @param claims the payload
     * @param privateKey an RSA private key
     * @param keyId the {@code kid} header, or {@code null} for none
     * @return the compact serialization {@code header.payload.signature}
     */
    public static String sign(JwtClaims claims, PrivateKey privateKey, @Nullable String keyId) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", RS256);
        header.put("typ", "JWT");
        if (keyId != null) {
            header.put("kid", keyId);
        }
        String signingInput = encode(Json.write(header)) + "." + encode(Json.write(claims.asMap()));
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(privateKey);
            signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + ENCODER.encodeToString(signature.sign());
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalArgumentException("Cannot sign with the given key: " + ex.getMessage(), ex);
        }
    }

    /**
     * Signs claims with RS256 and no {@code kid}.
     * @param claims the payload
     * @param privateKey an RSA private key
     * @return the compact serialization
     */
    public static String sign(JwtClaims claims, PrivateKey privateKey) {
        return sign(claims, privateKey, null);
    }

    /**
     * Reads header and claims without checking the signature, like {@code jwt.decode} in Azurite.
     * @param token a compact JWS
     * @return the decoded token
     * @throws InvalidTokenException when it is not three base64url parts with JSON objects in the first two
     */
    public static Jwt decode(String token) throws InvalidTokenException {
        String[] parts = split(token);
        return new Jwt(jsonPart(parts[0], "header"), JwtClaims.of(jsonPart(parts[1], "payload")));
    }

    /**
     * Decodes a token and checks that it is RS256 and that its signature verifies with the key. Claims such as
     * {@code exp} or {@code aud} are the caller's to check.
     * @param token a compact JWS
     * @param publicKey the signer's RSA public key
     * @return the verified token
     * @throws InvalidTokenException when the token is malformed, not RS256 or its signature does not verify
     */
    public static Jwt verify(String token, PublicKey publicKey) throws InvalidTokenException {
        Jwt jwt = decode(token);
        if (!RS256.equals(jwt.header.get("alg"))) {
            throw new InvalidTokenException("Token algorithm is " + describe(jwt.header.get("alg")) + ", not RS256");
        }
        String[] parts = split(token);
        byte[] signatureBytes;
        try {
            signatureBytes = DECODER.decode(parts[2]);
        }
        catch (IllegalArgumentException ex) {
            throw new InvalidTokenException("Token signature is not base64url");
        }
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initVerify(publicKey);
            signature.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!signature.verify(signatureBytes)) {
                throw new InvalidTokenException("Token signature does not verify with the expected key");
            }
        }
        catch (GeneralSecurityException ex) {
            throw new InvalidTokenException("Token signature does not verify with the expected key");
        }
        return jwt;
    }

    /** @return the JOSE header, unmodifiable */
    public Map<String, Object> header() {
        return this.header;
    }

    /** @return the {@code alg} header, or {@code null} */
    public @Nullable String algorithm() {
        return (this.header.get("alg") instanceof String alg) ? alg : null;
    }

    /** @return the {@code kid} header, or {@code null} */
    public @Nullable String keyId() {
        return (this.header.get("kid") instanceof String kid) ? kid : null;
    }

    /** @return the payload */
    public JwtClaims claims() {
        return this.claims;
    }

    @Override
    public String toString() {
        return "Jwt" + this.header + this.claims;
    }

    private static String[] split(String token) throws InvalidTokenException {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new InvalidTokenException("Token is not a compact JWS (header.payload.signature)");
        }
        return parts;
    }

    private static Map<String, Object> jsonPart(String part, String name) throws InvalidTokenException {
        byte[] bytes;
        try {
            bytes = DECODER.decode(part);
        }
        catch (IllegalArgumentException ex) {
            throw new InvalidTokenException("Token " + name + " is not base64url");
        }
        try {
            return Json.parseObject(new String(bytes, StandardCharsets.UTF_8));
        }
        catch (IllegalArgumentException ex) {
            throw new InvalidTokenException("Token " + name + " is not a JSON object");
        }
    }

    private static String encode(String json) {
        return ENCODER.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String describe(@Nullable Object value) {
        return (value != null) ? "'" + value + "'" : "missing";
    }

}
