/** A fake Azure Key Vault (secrets) that answers the real bearer challenge and checks every access token. */
@NullMarked
package dev.workloadidentity.spring.testsupport.keyvault;

import org.jspecify.annotations.NullMarked;
