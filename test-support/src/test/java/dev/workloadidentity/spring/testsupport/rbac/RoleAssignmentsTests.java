package dev.workloadidentity.spring.testsupport.rbac;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class RoleAssignmentsTests {

    private final RoleAssignments roles = new RoleAssignments();

    @Test
    void withNoRoleAssignedEveryCallerIsPermitted() {
        assertThat(this.roles.isEnforced()).isFalse();
        assertThat(this.roles.permits("any-client")).isTrue();
        assertThat(this.roles.permits(null)).isTrue();
    }

    @Test
    void onceARoleIsAssignedOnlyItsHoldersArePermitted() {
        this.roles.assign("writer");
        this.roles.assign("writer");

        assertThat(this.roles.isEnforced()).isTrue();
        assertThat(this.roles.permits("writer")).isTrue();
        assertThat(this.roles.permits("reader")).isFalse();
        assertThat(this.roles.permits(null)).isFalse();
        assertThat(this.roles.clientIds()).containsExactly("writer");
    }

    @Test
    void blankClientIdIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> this.roles.assign(" ")).withMessageContaining("blank");
    }

}
