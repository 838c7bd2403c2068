import { Code, Group, Paper, Stack, Tabs, Text, Title } from '@mantine/core';
import { CodeBlock } from './CodeBlock';
import { curlRecipe, recipes, reportCommand } from './recipes';
import { Copy, SecretPanel } from './SecretPanel';

/**
 * CI Setup: the webhook secret, then a copyable recipe per CI system with this project's URL and
 * its `shipyard ci report` command filled in, then how to sign a delivery without the CLI.
 */
export function CiSetupPanel({ slug }: { slug: string }) {
  const origin = window.location.origin;
  const all = recipes({ slug, origin });
  const command = reportCommand(slug);
  return (
    <Stack gap="lg" data-testid="ci-setup">
      <Paper withBorder radius="md" p="md">
        <Title order={2} fz="h4" mb="xs">
          1. Create the project's secret
        </Title>
        <SecretPanel slug={slug} />
      </Paper>
      <Paper withBorder radius="md" p="md">
        <Title order={2} fz="h4" mb="xs">
          2. Report from your pipeline
        </Title>
        <Text size="sm" mb="xs">
          After the tests, run this step. It reads SHIPYARD_URL and SHIPYARD_CI_SECRET, takes branch, commit and run
          URL from the CI's environment, and signs every delivery.
        </Text>
        <Group gap="xs" wrap="nowrap" mb="md" align="flex-start">
          <Code block style={{ flex: 1, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} data-testid="ci-report-command" tabIndex={0}>
            {command}
          </Code>
          <Copy value={command} label="Copy the report command" />
        </Group>
        <Tabs defaultValue="github" keepMounted={false}>
          <Tabs.List mb="sm">
            {all.map((recipe) => (
              <Tabs.Tab key={recipe.system} value={recipe.system}>
                {recipe.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {all.map((recipe) => (
            <Tabs.Panel key={recipe.system} value={recipe.system}>
              <Stack gap="xs">
                <Text size="sm" c="dimmed">
                  {recipe.secretHint} Then add <Code>{recipe.file}</Code>:
                </Text>
                <CodeBlock code={recipe.code} label={`Copy the ${recipe.label} recipe`} testId={`ci-recipe-${recipe.system}`} />
              </Stack>
            </Tabs.Panel>
          ))}
        </Tabs>
      </Paper>
      <Paper withBorder radius="md" p="md">
        <Title order={2} fz="h4" mb="xs">
          Without the CLI
        </Title>
        <Text size="sm" mb="xs">
          Sign each delivery with the v2 scheme: <Code>X-Shipyard-Signature: t=&lt;unix time&gt;,v2=&lt;hex&gt;</Code>, the
          HMAC-SHA256 of <Code>&lt;t&gt;.&lt;delivery id&gt;.&lt;body&gt;</Code> under the secret, and send the id as{' '}
          <Code>X-Shipyard-Delivery</Code>. The time must be within five minutes of the server's.
        </Text>
        <CodeBlock code={curlRecipe({ slug, origin })} label="Copy the signing script" testId="ci-recipe-curl" />
        <Text size="sm" c="dimmed" mt="xs">
          GitHub, GitLab, CircleCI and Buildkite webhooks are accepted at the same URL; the repository's <Code>docs/ci</Code> explains each.
        </Text>
      </Paper>
    </Stack>
  );
}
