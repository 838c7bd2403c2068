import { Alert, Button, Stack, TextInput } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '@/api/errors';
import { useLogin, type Me } from '@/lib/auth';

export function LoginForm({ onSuccess }: { onSuccess: (user: Me) => void }) {
  const login = useLogin();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      return;
    }
    setError(null);
    try {
      const { user } = await login.mutateAsync({ username: username.trim(), password });
      onSuccess(user);
    } catch (caught) {
      if (caught instanceof ApiError && (caught.status === 401 || caught.status === 400)) {
        setError(caught.message || 'Wrong username or password.');
      } else {
        setError(errorMessage(caught));
      }
    }
  }

  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack gap="md">
        {error ? (
          <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} role="alert">
            {error}
          </Alert>
        ) : null}
        <TextInput
          name="username"
          label="Username"
          value={username}
          onChange={(event) => setUsername(event.currentTarget.value)}
          autoComplete="username"
          autoFocus
        />
        {/* A plain password input: PasswordInput's visibility toggle would also match the label "Password". */}
        <TextInput
          type="password"
          name="password"
          label="Password"
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          autoComplete="current-password"
        />
        <Button type="submit" loading={login.isPending} fullWidth>
          Log in
        </Button>
      </Stack>
    </form>
  );
}
