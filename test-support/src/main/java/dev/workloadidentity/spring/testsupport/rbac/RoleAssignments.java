package dev.workloadidentity.spring.testsupport.rbac;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * The identities, by client id, that hold a data role on one fake resource, as Azure RBAC role assignments
 * grant them: a token proves who the caller is, the role assignment decides whether that caller may act.
 * <p>
 * With no role assigned every caller with a valid token is served, so that a test that does not care which
 * identity calls needs no setup; once one is assigned only assigned identities are, which is how a test proves
 * that a client presented the right identity's token. One role grants everything the fake serves: the fakes
 * model who may call, not data actions such as read-only. Thread-safe; assignments take effect at once (Azure
 * takes minutes).
 */
public final class RoleAssignments {

    private final Set<String> clientIds = ConcurrentHashMap.newKeySet();

    /**
     * Assigns the role to an identity; assigning it again changes nothing.
     * @param clientId the application's client id, as in the tokens' {@code appid}
     */
    public void assign(String clientId) {
        Objects.requireNonNull(clientId, "clientId");
        if (clientId.isBlank()) {
            throw new IllegalArgumentException("A role is assigned to a client id, got a blank one");
        }
        this.clientIds.add(clientId);
    }

    /**
     * Tells whether a caller may act on the resource.
     * @param clientId the caller's client id, or {@code null} when its token names none
     * @return {@code true} when no role is assigned at all, or the caller holds one
     */
    public boolean permits(@Nullable String clientId) {
        return this.clientIds.isEmpty() || (clientId != null && this.clientIds.contains(clientId));
    }

    /** @return whether any role is assigned, i.e. whether callers are checked at all */
    public boolean isEnforced() {
        return !this.clientIds.isEmpty();
    }

    /** @return the client ids holding the role, as a snapshot */
    public Set<String> clientIds() {
        return Set.copyOf(this.clientIds);
    }

}
