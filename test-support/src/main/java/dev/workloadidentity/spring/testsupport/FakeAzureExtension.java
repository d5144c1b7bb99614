package dev.workloadidentity.spring.testsupport;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts a {@link FakeAzure} for a test class and stops it afterwards:
 * <pre>
 * &#64;RegisterExtension
 * static final FakeAzureExtension azure = new FakeAzureExtension(FakeAzure.builder().keyVault());
 *
 * &#64;Test
 * void readsSecret() {
 *     azure.get().keyVault().setSecret("greeting", "hello");
 *     ...
 * }
 * </pre>
 * Registered on a {@code static} field it lives for the whole class; on an instance field, for each test.
 * Test and lifecycle methods can also take a {@link FakeAzure} parameter.
 */
public final class FakeAzureExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private final FakeAzure.Builder builder;

    private @Nullable FakeAzure azure;

    private boolean perTest;

    /** An extension with the defaults of {@link FakeAzure#builder()}: the fake Entra only. */
    public FakeAzureExtension() {
        this(FakeAzure.builder());
    }

    /**
     * @param builder what to start
     */
    public FakeAzureExtension(FakeAzure.Builder builder) {
        this.builder = builder;
    }

    /**
     * @return the running fake Azure
     * @throws IllegalStateException outside the extension's lifetime
     */
    public FakeAzure get() {
        FakeAzure running = this.azure;
        if (running == null) {
            throw new IllegalStateException("The fake Azure is not running: register FakeAzureExtension with "
                    + "@RegisterExtension and use it from a test or lifecycle method");
        }
        return running;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (this.azure == null) {
            this.azure = this.builder.start();
            this.perTest = false;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!this.perTest) {
            stop();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (this.azure == null) {
            this.azure = this.builder.start();
            this.perTest = true;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (this.perTest) {
            stop();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == FakeAzure.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return get();
    }

    private void stop() {
        FakeAzure running = this.azure;
        this.azure = null;
        if (running != null) {
            running.close();
        }
    }

}
