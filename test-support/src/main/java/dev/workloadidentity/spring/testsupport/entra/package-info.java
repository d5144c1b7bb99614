/** A fake Microsoft Entra ID token endpoint that checks federated assertions the way Entra does. */
@NullMarked
package dev.workloadidentity.spring.testsupport.entra;

import org.jspecify.annotations.NullMarked;
