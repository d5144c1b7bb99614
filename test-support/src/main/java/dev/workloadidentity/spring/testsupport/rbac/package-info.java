/** Azure RBAC for the fakes: which identities hold a data role on a fake resource, and who a token's caller is. */
@NullMarked
package dev.workloadidentity.spring.testsupport.rbac;

import org.jspecify.annotations.NullMarked;
