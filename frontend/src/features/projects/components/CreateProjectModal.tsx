import { Modal } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { CreateProjectForm } from './CreateProjectForm';
import type { Project } from '@/api/projects';

interface CreateProjectModalProps {
  opened: boolean;
  onClose: () => void;
  team: string;
  teamName: string;
  onCreated?: (project: Project) => void;
}

export function CreateProjectModal({ opened, onClose, team, teamName, onCreated }: CreateProjectModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={`New project in ${teamName}`} size="lg">
      <CreateProjectForm
        team={team}
        onCancel={onClose}
        onCreated={(project) => {
          notifications.show({ color: 'green', title: 'Project created', message: project.name });
          onClose();
          onCreated?.(project);
        }}
      />
    </Modal>
  );
}
