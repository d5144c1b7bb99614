package dev.workloadidentity.spring.autoconfigure;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The Azure clouds a workload identity can live in, with the Entra authority host and the Azure Resource Manager
 * scope of each. Names match Spring Cloud Azure's {@code spring.cloud.azure.profile.cloud-type}.
 */
enum AzureCloud {

    AZURE("https://login.microsoftonline.com/", "https://management.azure.com/.default"),

    AZURE_US_GOVERNMENT("https://login.microsoftonline.us/", "https://management.usgovcloudapi.net/.default"),

    AZURE_CHINA("https://login.chinacloudapi.cn/", "https://management.chinacloudapi.cn/.default");

    private final String authorityHost;

    private final String resourceManagerScope;

    AzureCloud(String authorityHost, String resourceManagerScope) {
        this.authorityHost = authorityHost;
        this.resourceManagerScope = resourceManagerScope;
    }

    String authorityHost() {
        return this.authorityHost;
    }

    String resourceManagerScope() {
        return this.resourceManagerScope;
    }

    /** The cloud named by a Spring Cloud Azure cloud type, if it is one of ours ("OTHER" is not). */
    static Optional<AzureCloud> fromCloudType(String cloudType) {
        String name = cloudType.trim().toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter((cloud) -> cloud.name().equals(name)).findFirst();
    }

    /** The cloud an authority host belongs to; hosts of private clouds and local fakes count as public. */
    static AzureCloud fromAuthorityHost(String authorityHost) {
        String host = withTrailingSlash(authorityHost.trim().toLowerCase(Locale.ROOT));
        return Arrays.stream(values()).filter((cloud) -> cloud.authorityHost.equals(host)).findFirst().orElse(AZURE);
    }

    private static String withTrailingSlash(String url) {
        return url.endsWith("/") ? url : url + "/";
    }

}
